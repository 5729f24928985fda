import Testing
import Tensor
import NN

/// Finite-difference checks of every layer's backward (inputs and parameters); tolerance in
/// `GradientCheck` (max-norm relative error ≤ 1e-3, central differences h = 1e-2, float32).
@Suite struct LayerGradientTests {
    /// A 7→5 Linear on 3 samples with its gradients.
    static func linearCase(spectralNorm: Bool) -> (Linear, ParameterStore, LayerGradients) {
        var rng = SeededRandom(seed: 1)
        let store = ParameterStore()
        let layer = Linear(7, 5, maxBatch: 4, store: store, rng: &rng, spectralNorm: spectralNorm)
        let x = Tensor(n: 3, c: 7)
        GradientCheck.normal(x, &rng)
        let g = LayerGradients(layer, input: x, rng: &rng)
        return (layer, store, g)
    }

    @Test(arguments: [false, true]) func linear(spectralNorm: Bool) {
        let (_, _, g) = Self.linearCase(spectralNorm: spectralNorm)
        #expect(g.inputError < GradientCheck.tolerance, "Linear SN=\(spectralNorm) ∂x error \(g.inputError)")
        #expect(g.parameterError < GradientCheck.tolerance, "Linear SN=\(spectralNorm) ∂θ error \(g.parameterError)")
    }

    struct ConvCase: Sendable, CustomStringConvertible {
        let n, c, h, w, o, k, s, p: Int
        let sn: Bool
        /// Column floats per GEMM chunk; small values force several chunks per batch.
        var budget = Conv2d.defaultColumnBudget
        var description: String { "n\(n) c\(c) \(h)×\(w)→\(o) k\(k) s\(s) p\(p) sn\(sn) budget\(budget)" }
    }

    @Test(arguments: [
        ConvCase(n: 2, c: 3, h: 6, w: 6, o: 4, k: 3, s: 1, p: 1, sn: false),
        ConvCase(n: 2, c: 2, h: 7, w: 7, o: 3, k: 3, s: 2, p: 1, sn: false),
        ConvCase(n: 3, c: 2, h: 6, w: 5, o: 2, k: 3, s: 1, p: 0, sn: false),
        ConvCase(n: 2, c: 2, h: 8, w: 8, o: 3, k: 3, s: 2, p: 0, sn: false),
        ConvCase(n: 2, c: 2, h: 7, w: 7, o: 3, k: 3, s: 2, p: 1, sn: true),
        ConvCase(n: 2, c: 3, h: 5, w: 5, o: 4, k: 3, s: 1, p: 1, sn: true),
        // 1 and 2 samples per chunk: the chunked lowering and its β handling under SN.
        ConvCase(n: 3, c: 2, h: 7, w: 7, o: 3, k: 3, s: 2, p: 1, sn: false, budget: 18 * 16),
        ConvCase(n: 5, c: 2, h: 7, w: 7, o: 3, k: 3, s: 2, p: 1, sn: true, budget: 2 * 18 * 16),
    ])
    func conv2d(_ t: ConvCase) {
        var rng = SeededRandom(seed: 2)
        let store = ParameterStore()
        let geometry = ConvGeometry(channels: t.c, height: t.h, width: t.w, kernel: t.k, stride: t.s, padding: t.p)
        let layer = Conv2d(geometry, outChannels: t.o, maxBatch: t.n + 1, store: store, rng: &rng,
                           spectralNorm: t.sn, columnBudget: t.budget)
        #expect(t.budget == Conv2d.defaultColumnBudget || layer.chunk < t.n, "case meant to be chunked")
        let x = Tensor(n: t.n, c: t.c, h: t.h, w: t.w)
        GradientCheck.normal(x, &rng)
        let g = LayerGradients(layer, input: x, rng: &rng)
        #expect(g.inputError < GradientCheck.tolerance, "Conv2d \(t) ∂x error \(g.inputError)")
        #expect(g.parameterError < GradientCheck.tolerance, "Conv2d \(t) ∂θ error \(g.parameterError)")
    }

    @Test(arguments: [Float(0.2), 0]) func leakyReLU(slope: Float) {
        var rng = SeededRandom(seed: 3)
        let layer = LeakyReLU(features: 2 * 3 * 3, maxBatch: 3, slope: slope)
        let x = Tensor(n: 3, c: 2, h: 3, w: 3)
        GradientCheck.awayFromZero(x, &rng)
        let g = LayerGradients(layer, input: x, rng: &rng)
        #expect(g.inputError < GradientCheck.tolerance, "LeakyReLU(\(slope)) ∂x error \(g.inputError)")
    }

    @Test func upsample() {
        var rng = SeededRandom(seed: 4)
        let layer = Upsample2x(channels: 3, height: 4, width: 5, maxBatch: 2)
        let x = Tensor(n: 2, c: 3, h: 4, w: 5)
        GradientCheck.normal(x, &rng)
        let y = layer.forward(x)
        #expect(y.h == 8 && y.w == 10 && y.data[0] == x.data[0] && y.data[11] == x.data[0] && y.data[12] == x.data[1])
        let g = LayerGradients(layer, input: x, rng: &rng)
        #expect(g.inputError < GradientCheck.tolerance, "Upsample2x ∂x error \(g.inputError)")
    }

    @Test func flatten() {
        var rng = SeededRandom(seed: 5)
        let layer = Flatten()
        let x = Tensor(n: 2, c: 3, h: 2, w: 2)
        GradientCheck.normal(x, &rng)
        #expect(layer.forward(x).c == 12)
        let g = LayerGradients(layer, input: x, rng: &rng)
        #expect(g.inputError < GradientCheck.tolerance, "Flatten ∂x error \(g.inputError)")
    }

    @Test func trainableScale() {
        var rng = SeededRandom(seed: 6)
        let store = ParameterStore()
        let layer = TrainableScale(features: 4, maxBatch: 3, store: store, initial: 1.7)
        let x = Tensor(n: 3, c: 4)
        GradientCheck.normal(x, &rng)
        let g = LayerGradients(layer, input: x, rng: &rng)
        #expect(g.inputError < GradientCheck.tolerance, "TrainableScale ∂x error \(g.inputError)")
        #expect(g.parameterError < GradientCheck.tolerance, "TrainableScale ∂k error \(g.parameterError)")
    }

    @Test func concat() {
        var rng = SeededRandom(seed: 7)
        let layer = Concat(featureCounts: [3, 2, 4], maxBatch: 3)
        let inputs = [3, 2, 4].map { Tensor(n: 2, c: $0) }
        for t in inputs { GradientCheck.normal(t, &rng) }
        let y = layer.forward(inputs)
        #expect(y.c == 9 && y.data[3] == inputs[1].data[0] && y.data[9] == inputs[0].data[3])
        let r = Tensor(n: 2, c: 9)
        GradientCheck.normal(r, &rng)
        let grads = layer.backward(r)
        for (i, t) in inputs.enumerated() {
            let numeric = GradientCheck.numeric(t.data, count: t.count) { GradientCheck.dot(layer.forward(inputs), r) }
            let error = GradientCheck.relativeError(grads[i].toArray(), numeric)
            #expect(error < GradientCheck.tolerance, "Concat ∂input\(i) error \(error)")
        }
    }

    /// The check can fail: the Linear layer's correct gradients with a 1% scale error or one
    /// element off by 1% of the largest entry exceed the tolerance.
    @Test func checkRejectsWrongBackward() {
        let (_, store, g) = Self.linearCase(spectralNorm: true)
        #expect(g.parameterError < GradientCheck.tolerance && g.inputError < GradientCheck.tolerance)
        let scaled = g.analyticParameters.map { $0 * 1.01 }
        #expect(GradientCheck.relativeError(scaled, g.numericParameters) > GradientCheck.tolerance)
        var perturbed = g.analyticInput
        perturbed[4] += 0.01 * perturbed.map(abs).max()!
        #expect(GradientCheck.relativeError(perturbed, g.numericInput) > GradientCheck.tolerance)
        // Under SN, L(W̄(c·W)) = L(W̄(W)) (σ scales with W), so ∂L/∂W ⟂ W. A backward that
        // drops σ's dependence on W (∂L/∂W = G/σ, a plausible bug) breaks this.
        let w = store.parameters, gw = g.analyticParameters
        var inner = 0.0, gg = 0.0, ww = 0.0
        for i in 0..<35 {
            inner += Double(gw[i]) * Double(w[i]); gg += Double(gw[i] * gw[i]); ww += Double(w[i] * w[i])
        }
        #expect(abs(inner) < 1e-4 * (gg * ww).squareRoot(), "⟨∂L/∂W, W⟩ = \(inner) should be 0 under SN")
    }
}
