import Testing
import Tensor
import NN

/// A scaled-down discriminator of docs/science.md §4 (every SN conv/linear, the regressor branch, flatten,
/// concat with the condition, the k_i scales) run on real and fake halves of one 2B batch with
/// the hinge D loss + MSE on the regressor: the whole backward chain, including a tensor used by
/// two branches and a concat input that also has its own loss, against finite differences.
/// It doubles as the usage pattern for the GAN trainer.
///
/// Step and tolerance differ from the single-layer checks: under SN every layer has gain ≤ 1,
/// so this small net's pre-activations are ~1e-2 and a step of 1e-2 crosses LeakyReLU kinks
/// (measured: errors up to 0.2 at h = 1e-2, shrinking with h). With h = 1e-4 no kink is
/// crossed and float32 rounding of the loss (~1e-7·|L|/h) sets the floor, so the stated
/// tolerance for parameters is a max-norm relative error ≤ 5e-3. ∂L/∂x is tiny here (max ≈ 2e-3
/// after six gain-≤1 layers), so its check uses h = 1e-3 and ≤ 2e-2 (measured 1.05e-2, the
/// float32 floor ≈ 5e-5 absolute); the single-layer checks hold ∂x to 1e-3.
@Suite struct NetworkGradientTests {
    struct MiniD {
        var c1, c2, c3, rc, c4, c5: Conv2d
        var a1, a2, a3, ar, a4, a5, af1, af2: LeakyReLU
        var rf, f1, f2, f3: Linear
        var k1, k2, k3: TrainableScale
        var flatR = Flatten(), flatH = Flatten()
        let cat: Concat

        init(store: ParameterStore, maxBatch b: Int, rng: inout SeededRandom) {
            let w = [2, 3, 3, 3, 3], f = [4, 3]
            func s1(_ c: Int, _ side: Int) -> ConvGeometry { ConvGeometry(channels: c, height: side, width: side, kernel: 3, padding: 1) }
            func s2(_ c: Int, _ side: Int) -> ConvGeometry { ConvGeometry(channels: c, height: side, width: side, kernel: 3, stride: 2, padding: 1) }
            c1 = Conv2d(s1(1, 8), outChannels: w[0], maxBatch: b, store: store, rng: &rng, spectralNorm: true)
            c2 = Conv2d(s2(w[0], 8), outChannels: w[1], maxBatch: b, store: store, rng: &rng, spectralNorm: true)
            c3 = Conv2d(s2(w[1], 4), outChannels: w[2], maxBatch: b, store: store, rng: &rng, spectralNorm: true)
            rc = Conv2d(s2(w[2], 2), outChannels: w[1], maxBatch: b, store: store, rng: &rng, spectralNorm: true)
            c4 = Conv2d(s2(w[2], 2), outChannels: w[3], maxBatch: b, store: store, rng: &rng, spectralNorm: true)
            c5 = Conv2d(s1(w[3], 1), outChannels: w[4], maxBatch: b, store: store, rng: &rng, spectralNorm: true)
            a1 = LeakyReLU(features: w[0] * 64, maxBatch: b); a2 = LeakyReLU(features: w[1] * 16, maxBatch: b)
            a3 = LeakyReLU(features: w[2] * 4, maxBatch: b); ar = LeakyReLU(features: w[1], maxBatch: b)
            a4 = LeakyReLU(features: w[3], maxBatch: b); a5 = LeakyReLU(features: w[4], maxBatch: b)
            rf = Linear(w[1], 2, maxBatch: b, store: store, rng: &rng, spectralNorm: true)
            cat = Concat(featureCounts: [w[4], 2, 5], maxBatch: b)
            f1 = Linear(w[4] + 7, f[0], maxBatch: b, store: store, rng: &rng, spectralNorm: true)
            f2 = Linear(f[0], f[1], maxBatch: b, store: store, rng: &rng, spectralNorm: true)
            f3 = Linear(f[1], 1, maxBatch: b, store: store, rng: &rng, spectralNorm: true)
            k1 = TrainableScale(features: f[0], maxBatch: b, store: store, initial: 1.3)
            k2 = TrainableScale(features: f[1], maxBatch: b, store: store, initial: 0.8)
            k3 = TrainableScale(features: 1, maxBatch: b, store: store, initial: 1.1)
            af1 = LeakyReLU(features: f[0], maxBatch: b); af2 = LeakyReLU(features: f[1], maxBatch: b)
        }

        /// (D output (n, 1), regressor output (n, 2)).
        mutating func forward(_ x: Tensor, _ c: Tensor, _ mode: ForwardMode) -> (Tensor, Tensor) {
            let h3 = a3.forward(c3.forward(a2.forward(c2.forward(a1.forward(c1.forward(x, mode: mode)), mode: mode)), mode: mode))
            let r = rf.forward(flatR.forward(ar.forward(rc.forward(h3, mode: mode))), mode: mode)
            let h = flatH.forward(a5.forward(c5.forward(a4.forward(c4.forward(h3, mode: mode)), mode: mode)))
            let z = cat.forward([h, r, c])
            let y1 = af1.forward(k1.forward(f1.forward(z, mode: mode)))
            let y2 = af2.forward(k2.forward(f2.forward(y1, mode: mode)))
            return (k3.forward(f3.forward(y2, mode: mode)), r)
        }

        /// dOut: ∂L/∂D-output; dR: ∂L/∂regressor from its own loss. Returns ∂L/∂x.
        mutating func backward(_ dOut: Tensor, _ dR: Tensor) -> Tensor {
            let dy2 = f3.backward(k3.backward(dOut))
            let dy1 = f1.backward(k1.backward(af1.backward(f2.backward(k2.backward(af2.backward(dy2))))))
            let parts = cat.backward(dy1)
            parts[1].add(dR)   // r feeds both the concat and the MSE
            let dH3 = c4.backward(a4.backward(c5.backward(a5.backward(flatH.backward(parts[0])))))
            let dR3 = rc.backward(ar.backward(flatR.backward(rf.backward(parts[1]))))
            dH3.add(dR3)       // h3 feeds both branches
            return c1.backward(a1.backward(c2.backward(a2.backward(c3.backward(a3.backward(dH3))))))
        }
    }

    /// Hinge D loss on the real/fake halves + MSE(regressor(real), target); fills the gradients.
    static func loss(_ out: Tensor, _ r: Tensor, target: [Float], dOut: Tensor?, dR: Tensor?) -> Double {
        let half = out.n / 2
        let o = UnsafeBufferPointer(start: out.data, count: out.n)
        let d = dOut.map { UnsafeMutableBufferPointer(start: $0.data, count: out.n) }
        var value = Loss.hingeDiscriminator(real: .init(rebasing: o[0..<half]), fake: .init(rebasing: o[half...]),
                                            realGradient: d.map { .init(rebasing: $0[0..<half]) },
                                            fakeGradient: d.map { .init(rebasing: $0[half...]) })
        value += target.withUnsafeBufferPointer { t in
            Loss.mse(UnsafeBufferPointer(start: r.data, count: 2 * half), target: t,
                     gradient: dR.map { UnsafeMutableBufferPointer(start: $0.data, count: 2 * half) })
        }
        return value
    }

    @Test func miniDiscriminatorEndToEnd() {
        var rng = SeededRandom(seed: 21)
        let store = ParameterStore()
        let batch = 4 // 2 real + 2 fake
        var d = MiniD(store: store, maxBatch: batch, rng: &rng)
        let x = Tensor(n: batch, c: 1, h: 8, w: 8), cond = Tensor(n: batch, c: 5)
        GradientCheck.normal(x, &rng); GradientCheck.normal(cond, &rng)
        let target: [Float] = [0.3, -0.2, 0.5, 0.1]

        store.zeroGradients()
        let (out, r) = d.forward(x, cond, .training)
        let dOut = Tensor(n: batch, c: 1), dR = Tensor(n: batch, c: 2)
        _ = Self.loss(out, r, target: target, dOut: dOut, dR: dR)
        let analyticInput = d.backward(dOut, dR).toArray()
        let analyticParameters = Array(UnsafeBufferPointer(start: store.gradients, count: store.parameterCount))

        let lossAt = { () -> Double in
            let (o, rr) = d.forward(x, cond, .evaluation)
            return Self.loss(o, rr, target: target, dOut: nil, dR: nil)
        }
        let step: Float = 1e-4, tolerance = 5e-3, inputStep: Float = 1e-3, inputTolerance = 2e-2
        let inputError = GradientCheck.relativeError(
            analyticInput, GradientCheck.numeric(x.data, count: x.count, step: inputStep, loss: lossAt))
        let parameterError = GradientCheck.relativeError(
            analyticParameters, GradientCheck.numeric(store.parameters, count: store.parameterCount, step: step, loss: lossAt))
        #expect(inputError < inputTolerance, "mini D ∂x error \(inputError)")
        #expect(parameterError < tolerance, "mini D ∂θ error \(parameterError)")
    }
}
