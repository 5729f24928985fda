import Testing
import Tensor
import NN

/// Batch norm whose forward always runs in one mode, whatever the checker asks: with batch
/// statistics (∂x̂/∂x goes through μ and σ², so the numeric gradient must use the same mode;
/// `LayerGradients` otherwise compares with `.evaluation` forwards, which hold SN's u, v fixed)
/// or with the running ones in both passes.
final class FixedMode: ParameterlessLayer {
    let layer: BatchNorm2d, mode: ForwardMode
    init(_ layer: BatchNorm2d, _ mode: ForwardMode) { self.layer = layer; self.mode = mode }
    var outputShape: [Int] { layer.outputShape }
    var inputShape: [Int] { layer.inputShape }
    var flopsPerSample: LayerFLOPs { layer.flopsPerSample }
    func forward(_ x: Tensor, mode _: ForwardMode) -> Tensor { layer.forward(x, mode: mode) }
    func backward(_ d: Tensor) -> Tensor { layer.backward(d) }
}

/// A batch norm whose backward forgets that σ² depends on x: ∂L/∂x = (g − mean(g))/σ, a
/// plausible bug (it is right for the mean, wrong for the variance). The check must reject it.
final class BatchNormWithoutVarianceGradient: ParameterlessLayer {
    let layer: BatchNorm2d
    var input: Tensor?
    let gradientBuffer: Tensor

    init(_ layer: BatchNorm2d) {
        self.layer = layer
        gradientBuffer = Tensor(n: layer.maxBatch, c: layer.channels, h: layer.height, w: layer.width)
    }

    var outputShape: [Int] { layer.outputShape }
    var inputShape: [Int] { layer.inputShape }
    var flopsPerSample: LayerFLOPs { layer.flopsPerSample }

    func forward(_ x: Tensor, mode _: ForwardMode) -> Tensor { input = x; return layer.forward(x, mode: .training) }

    func backward(_ d: Tensor) -> Tensor {
        let x = input!, plane = layer.height * layer.width, cs = layer.channels, count = Double(x.n * plane)
        let dx = gradientBuffer.withBatch(x.n)
        for c in 0..<cs {
            var mean = 0.0, meanG = 0.0, squares = 0.0
            for s in 0..<x.n { for p in 0..<plane { let at = (s * cs + c) * plane + p; mean += Double(x.data[at]); meanG += Double(d.data[at]) } }
            mean /= count; meanG /= count
            for s in 0..<x.n { for p in 0..<plane { let v = Double(x.data[(s * cs + c) * plane + p]) - mean; squares += v * v } }
            let inv = 1 / (squares / count + Double(BatchNorm2d.epsilon)).squareRoot()
            for s in 0..<x.n { for p in 0..<plane {
                let at = (s * cs + c) * plane + p
                dx.data[at] = Float(inv * (Double(d.data[at]) - meanG))
            } }
        }
        return dx
    }
}

/// Finite-difference checks of the ResNet family's new layers (`GradientCheck`: central
/// differences h = 1e-2, max-norm relative error ≤ 1e-3), and one deliberately broken backward
/// that the same check rejects.
@Suite struct ResNetLayerGradientTests {
    @Test func batchNormTrainingMode() {
        var rng = SeededRandom(seed: 31)
        let store = ParameterStore()
        let layer = FixedMode(BatchNorm2d(channels: 3, height: 4, width: 5, maxBatch: 3, store: store), .training)
        let x = Tensor(n: 3, c: 3, h: 4, w: 5)
        GradientCheck.normal(x, &rng)
        for i in 0..<x.count { x.data[i] = 2 * x.data[i] + Float(i % 3) }  // per-channel offset and spread
        let g = LayerGradients(layer, input: x, rng: &rng)
        #expect(g.inputError < GradientCheck.tolerance, "BatchNorm2d (batch statistics) ∂x error \(g.inputError)")
        // x̂ of each channel has mean 0 and (biased) variance 1/(1 + ε/σ²) ≈ 1.
        let y = layer.layer.forward(x, mode: .training)
        for c in 0..<3 {
            var sum = 0.0, squares = 0.0
            for s in 0..<3 { for p in 0..<20 { let v = Double(y.data[(s * 3 + c) * 20 + p]); sum += v; squares += v * v } }
            #expect(abs(sum / 60) < 1e-6 && abs(squares / 60 - 1) < 1e-4, "channel \(c): mean \(sum / 60), var \(squares / 60)")
        }
    }

    @Test func batchNormEvaluationMode() {
        var rng = SeededRandom(seed: 32)
        let store = ParameterStore()
        let bn = BatchNorm2d(channels: 2, height: 3, width: 3, maxBatch: 2, store: store)
        for c in 0..<2 { store.buffer(bn.runningMean)[c] = 0.3 * Float(c + 1); store.buffer(bn.runningVariance)[c] = 0.5 + Float(c) }
        let x = Tensor(n: 2, c: 2, h: 3, w: 3)
        GradientCheck.normal(x, &rng)
        let y = bn.forward(x, mode: .evaluation)
        #expect(abs(y.data[9] - (x.data[9] - 0.6) / (1.5 + BatchNorm2d.epsilon).squareRoot()) < 1e-6)
        let layer = FixedMode(bn, .evaluation)
        let g = LayerGradients(layer, input: x, rng: &rng)
        #expect(g.inputError < GradientCheck.tolerance, "BatchNorm2d (running statistics) ∂x error \(g.inputError)")
    }

    /// running ← 0.9·running + 0.1·batch statistic, the variance unbiased (PyTorch's rule).
    @Test func runningStatisticsFollowMomentum() {
        let store = ParameterStore()
        let bn = BatchNorm2d(channels: 1, height: 1, width: 2, maxBatch: 2, store: store)
        let x = Tensor(n: 2, c: 1, h: 1, w: 2)
        x.copy(from: [1, 2, 3, 6])  // mean 3, biased variance 3.5, unbiased 14/3
        _ = bn.forward(x, mode: .training)
        #expect(abs(store.buffer(bn.runningMean)[0] - 0.3) < 1e-6)
        #expect(abs(store.buffer(bn.runningVariance)[0] - (0.9 + 0.1 * 14 / 3)) < 1e-6)
        _ = bn.forward(x, mode: .evaluation)  // evaluation leaves them alone
        #expect(abs(store.buffer(bn.runningMean)[0] - 0.3) < 1e-6)
    }

    @Test(arguments: [nil, Float(0), 0.2]) func conditionalAffine(slope: Float?) {
        var rng = SeededRandom(seed: 33)
        let store = ParameterStore()
        let c = Tensor(n: 4, c: 5), x = Tensor(n: 4, c: 3, h: 2, w: 3)
        let affine = ConditionalAffine(channels: 3, height: 2, width: 3, conditions: c, maxBatch: 4, store: store)
        affine.activationSlope = slope
        // Non-zero W_γ, W_β (they start at 0) so that every term of the backward is exercised.
        for i in 0..<store.parameterCount { store.parameters[i] = Float(rng.normal()) * 0.1 }
        GradientCheck.normal(c, &rng)
        // x chosen so that γx + β lies in ±[0.2, 1]: ≥ 0.2 from the activation's kink, farther
        // than any step of the check moves it (h·|c_j|·max(1, |x|) ≲ 0.1).
        GradientCheck.awayFromZero(x, &rng)
        let wg = store.values(affine.gammaWeight), wb = store.values(affine.betaWeight)
        for s in 0..<4 { for ch in 0..<3 {
            var gamma: Float = 1, beta: Float = 0
            for j in 0..<5 { gamma += wg[ch * 5 + j] * c.data[s * 5 + j]; beta += wb[ch * 5 + j] * c.data[s * 5 + j] }
            for p in 0..<6 {
                let at = (s * 3 + ch) * 6 + p, target = x.data[at] > 0 ? 0.2 + 0.8 * x.data[at] : -0.2 + 0.8 * x.data[at]
                x.data[at] = (target - beta) / gamma
            }
        } }
        let g = LayerGradients(affine, input: x, rng: &rng)
        #expect(g.inputError < GradientCheck.tolerance, "ConditionalAffine slope \(String(describing: slope)) ∂x error \(g.inputError)")
        #expect(g.parameterError < GradientCheck.tolerance, "ConditionalAffine slope \(String(describing: slope)) ∂W error \(g.parameterError)")
    }

    /// At initialisation W_γ = W_β = 0: the identity for every condition.
    @Test func conditionalAffineStartsAsIdentity() {
        var rng = SeededRandom(seed: 34)
        let c = Tensor(n: 3, c: 5), x = Tensor(n: 3, c: 2, h: 2, w: 2)
        let affine = ConditionalAffine(channels: 2, height: 2, width: 2, conditions: c, maxBatch: 3, store: ParameterStore())
        GradientCheck.normal(c, &rng); GradientCheck.normal(x, &rng)
        #expect(affine.forward(x).toArray() == x.toArray())
    }

    @Test(arguments: [false, true]) func conv1x1(spectralNorm: Bool) {
        var rng = SeededRandom(seed: 35)
        let store = ParameterStore()
        let layer = Conv1x1(inChannels: 3, outChannels: 4, height: 3, width: 2, maxBatch: 3, store: store, rng: &rng,
                            spectralNorm: spectralNorm)
        let x = Tensor(n: 3, c: 3, h: 3, w: 2)
        GradientCheck.normal(x, &rng)
        let g = LayerGradients(layer, input: x, rng: &rng)
        #expect(g.inputError < GradientCheck.tolerance, "Conv1x1 SN=\(spectralNorm) ∂x error \(g.inputError)")
        #expect(g.parameterError < GradientCheck.tolerance, "Conv1x1 SN=\(spectralNorm) ∂θ error \(g.parameterError)")
    }

    /// Conv1x1 is Conv2d with a 1×1 kernel (same weights, same function).
    @Test func conv1x1EqualsConv2dWithUnitKernel() {
        var rng = SeededRandom(seed: 36), same = SeededRandom(seed: 36)
        let a = Conv1x1(inChannels: 3, outChannels: 2, height: 4, width: 4, maxBatch: 2, store: ParameterStore(), rng: &rng)
        let b = Conv2d(ConvGeometry(channels: 3, height: 4, width: 4, kernel: 1), outChannels: 2, maxBatch: 2,
                       store: ParameterStore(), rng: &same)
        let x = Tensor(n: 2, c: 3, h: 4, w: 4)
        GradientCheck.normal(x, &rng)
        let ya = a.forward(x).toArray(), yb = b.forward(x).toArray()
        #expect(zip(ya, yb).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test(arguments: [(7, 7), (6, 5), (4, 4)]) func averagePool(height: Int, width: Int) {
        var rng = SeededRandom(seed: 37)
        let layer = AveragePool2x2(channels: 2, height: height, width: width, maxBatch: 2)
        let x = Tensor(n: 2, c: 2, h: height, w: width)
        GradientCheck.normal(x, &rng)
        let y = layer.forward(x)
        #expect(y.h == height / 2 && y.w == width / 2)
        #expect(abs(y.data[0] - 0.25 * (x.data[0] + x.data[1] + x.data[width] + x.data[width + 1])) < 1e-6)
        let g = LayerGradients(layer, input: x, rng: &rng)
        #expect(g.inputError < GradientCheck.tolerance, "AveragePool2x2 \(height)×\(width) ∂x error \(g.inputError)")
    }

    /// Conv3×3 → AvgPool2 fused into one 4×4 stride-2 convolution (`averagePooled`) is the same
    /// function as the two layers, for even and odd sides, and its backward passes the check.
    @Test(arguments: [(7, false), (8, true), (15, false), (30, true)])
    func averagePooledConvolution(side: Int, spectralNorm: Bool) {
        var rng = SeededRandom(seed: 42), same = SeededRandom(seed: 42)
        let store = ParameterStore()
        let geometry = ConvGeometry(channels: 2, height: side, width: side, kernel: 3, padding: 1)
        let fused = Conv2d(geometry, outChannels: 3, maxBatch: 2, store: store, rng: &rng, spectralNorm: spectralNorm,
                           averagePooled: true)
        let conv = Conv2d(geometry, outChannels: 3, maxBatch: 2, store: ParameterStore(), rng: &same,
                          spectralNorm: spectralNorm)
        let pool = AveragePool2x2(channels: 3, height: side, width: side, maxBatch: 2)
        let x = Tensor(n: 2, c: 2, h: side, w: side)
        GradientCheck.normal(x, &rng)
        let y = fused.forward(x, mode: .evaluation)
        let reference = pool.forward(conv.forward(x, mode: .evaluation))
        #expect([y.c, y.h, y.w] == [3, side / 2, side / 2])
        let difference = zip(y.toArray(), reference.toArray()).map { abs($0 - $1) }.max()!
        #expect(difference < 1e-5, "fused vs conv → pool: max |Δ| \(difference)")
        if side <= 8 {
            let g = LayerGradients(fused, input: x, rng: &rng)
            #expect(g.inputError < GradientCheck.tolerance, "pooled conv \(side) SN \(spectralNorm) ∂x error \(g.inputError)")
            #expect(g.parameterError < GradientCheck.tolerance, "pooled conv \(side) SN \(spectralNorm) ∂θ error \(g.parameterError)")
        }
    }

    @Test func globalSumPool() {
        var rng = SeededRandom(seed: 38)
        let layer = GlobalSumPool(channels: 3, height: 3, width: 3, maxBatch: 2)
        let x = Tensor(n: 2, c: 3, h: 3, w: 3)
        GradientCheck.normal(x, &rng)
        #expect(abs(layer.forward(x).data[4] - (0..<9).map { x.data[36 + $0] }.reduce(0, +)) < 1e-5)
        let g = LayerGradients(layer, input: x, rng: &rng)
        #expect(g.inputError < GradientCheck.tolerance, "GlobalSumPool ∂x error \(g.inputError)")
    }

    @Test func residualSum() {
        var rng = SeededRandom(seed: 39)
        let sum = ResidualSum(channels: 2, height: 3, width: 3, maxBatch: 2)
        let a = Tensor(n: 2, c: 2, h: 3, w: 3), b = Tensor(n: 2, c: 2, h: 3, w: 3), r = Tensor(n: 2, c: 2, h: 3, w: 3)
        GradientCheck.normal(a, &rng); GradientCheck.normal(b, &rng); GradientCheck.normal(r, &rng)
        let (da, db) = sum.backward(r)
        for (input, analytic) in [(a, da), (b, db)] {
            let numeric = GradientCheck.numeric(input.data, count: input.count) { GradientCheck.dot(sum.forward(a, b), r) }
            let error = GradientCheck.relativeError(analytic.toArray(), numeric)
            #expect(error < GradientCheck.tolerance, "ResidualSum error \(error)")
        }
    }

    /// The check can fail: the batch norm backward without σ²'s dependence on x is rejected
    /// by the very check the correct one passes.
    @Test func checkRejectsBatchNormWithoutVarianceGradient() {
        var rng = SeededRandom(seed: 40)
        let x = Tensor(n: 3, c: 2, h: 3, w: 3)
        GradientCheck.normal(x, &rng)
        let broken = BatchNormWithoutVarianceGradient(BatchNorm2d(channels: 2, height: 3, width: 3, maxBatch: 3, store: ParameterStore()))
        let bad = LayerGradients(broken, input: x, rng: &rng)
        #expect(bad.inputError > 10 * GradientCheck.tolerance, "the broken backward passed: error \(bad.inputError)")
        var rightRng = SeededRandom(seed: 40)
        GradientCheck.normal(x, &rightRng)
        let right = FixedMode(BatchNorm2d(channels: 2, height: 3, width: 3, maxBatch: 3, store: ParameterStore()), .training)
        let good = LayerGradients(right, input: x, rng: &rightRng)
        #expect(good.inputError < GradientCheck.tolerance, "the correct backward failed: error \(good.inputError)")
    }

    /// Channel-split layers give the same numbers at 1 and 2 threads (each channel's sums are
    /// one worker's); Conv1x1's ∂W sums per-worker partials, so it agrees to rounding.
    @Test func threadCountDoesNotChangeTheNumbers() {
        func run(threads: Int) -> [[Float]] {
            var rng = SeededRandom(seed: 41)
            let store = ParameterStore()
            let bn = BatchNorm2d(channels: 4, height: 6, width: 6, maxBatch: 8, store: store)
            let c = Tensor(n: 8, c: 5)
            let affine = ConditionalAffine(channels: 4, height: 6, width: 6, conditions: c, maxBatch: 8, store: store)
            affine.activationSlope = 0
            let conv = Conv1x1(inChannels: 4, outChannels: 3, height: 6, width: 6, maxBatch: 8, store: store, rng: &rng)
            for i in 0..<store.parameterCount { store.parameters[i] = Float(rng.normal()) * 0.3 }
            bn.threads = threads; affine.threads = threads; conv.threads = threads
            let x = Tensor(n: 8, c: 4, h: 6, w: 6), r = Tensor(n: 8, c: 3, h: 6, w: 6)
            GradientCheck.normal(x, &rng); GradientCheck.normal(c, &rng); GradientCheck.normal(r, &rng)
            let y = conv.forward(affine.forward(bn.forward(x, mode: .training)))
            store.zeroGradients()
            let dx = bn.backward(affine.backward(conv.backward(r)))
            return [y.toArray(), dx.toArray(), Array(UnsafeBufferPointer(start: store.gradients, count: store.parameterCount)),
                    Array(UnsafeBufferPointer(start: store.buffers, count: store.bufferCount))]
        }
        let one = run(threads: 1), two = run(threads: 2)
        #expect(one[0] == two[0] && one[1] == two[1] && one[3] == two[3])
        #expect(zip(one[2], two[2]).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($0)) })
    }
}
