import Testing
import Tensor
import NN

/// Conv2d lowers the batch chunk by chunk (S samples per GEMM, S = 1 writing NCHW directly)
/// and splits chunks over worker threads. Every split must compute the same function as the
/// whole-batch lowering (one chunk, one worker): outputs, ∂L/∂x, ∂L/∂W and ∂L/∂b agree to float
/// rounding; and the per-sample, two-worker layer passes the finite-difference check itself.
@Suite struct ConvChunkingTests {
    struct Split: CustomStringConvertible {
        let chunkColumns: Int, threads: Int
        var description: String { "chunkColumns \(chunkColumns), threads \(threads)" }
    }

    /// (y, ∂L/∂x, ∂L/∂θ, whether the direct kernels ran) of L = Σ r·conv(x) for a layer built from a fixed seed.
    static func run(_ geometry: ConvGeometry, out: Int, batch: Int, split: Split, spectralNorm: Bool,
                    directKernel: Bool = true) -> (y: [Float], dx: [Float], dTheta: [Float], direct: Bool) {
        var rng = SeededRandom(seed: 11)
        let store = ParameterStore()
        let layer = Conv2d(geometry, outChannels: out, maxBatch: batch, store: store, rng: &rng,
                           spectralNorm: spectralNorm, chunkColumns: split.chunkColumns, directKernel: directKernel)
        layer.threads = split.threads
        let x = Tensor(n: batch, c: geometry.channels, h: geometry.height, w: geometry.width)
        GradientCheck.normal(x, &rng)
        let y = layer.forward(x)
        let r = Tensor(n: y.n, c: y.c, h: y.h, w: y.w)
        GradientCheck.normal(r, &rng)
        store.zeroGradients()
        let dx = layer.backward(r).toArray()
        // Twice: gradients accumulate, so a second backward must add the same amount again.
        _ = layer.forward(x); _ = layer.backward(r)
        return (y.toArray(), dx, Array(UnsafeBufferPointer(start: store.gradients, count: store.parameterCount)),
                layer.usesDirectKernel)
    }

    static func maxRelative(_ a: [Float], _ b: [Float]) -> Float {
        let scale = max(b.map(abs).max() ?? 0, 1e-6)
        return zip(a, b).map { abs($0 - $1) }.max()! / scale
    }

    @Test(arguments: [
        ConvGeometry(channels: 3, height: 9, width: 9, kernel: 3, padding: 1),             // P = 81
        ConvGeometry(channels: 2, height: 11, width: 11, kernel: 3, stride: 2, padding: 1), // P = 36
        ConvGeometry(channels: 4, height: 8, width: 7, kernel: 3),                           // P = 30, no padding
    ])
    func splitsAgreeWithWholeBatch(_ g: ConvGeometry) {
        let batch = 5
        for sn in [false, true] {
            let reference = Self.run(g, out: 3, batch: batch, split: Split(chunkColumns: 1 << 30, threads: 1), spectralNorm: sn)
            for split in [Split(chunkColumns: 1, threads: 1), Split(chunkColumns: 2 * g.outPixels, threads: 1),
                          Split(chunkColumns: 1, threads: 2), Split(chunkColumns: 2 * g.outPixels, threads: 2)] {
                let got = Self.run(g, out: 3, batch: batch, split: split, spectralNorm: sn)
                #expect(Self.maxRelative(got.y, reference.y) < 1e-5, "\(g) \(split) sn \(sn): y")
                #expect(Self.maxRelative(got.dx, reference.dx) < 1e-5, "\(g) \(split) sn \(sn): ∂x")
                #expect(Self.maxRelative(got.dTheta, reference.dTheta) < 1e-5, "\(g) \(split) sn \(sn): ∂θ")
            }
        }
    }

    @Test(arguments: [false, true]) func perSampleTwoWorkerGradients(spectralNorm: Bool) {
        var rng = SeededRandom(seed: 12)
        let store = ParameterStore()
        let geometry = ConvGeometry(channels: 2, height: 6, width: 6, kernel: 3, padding: 1)
        let layer = Conv2d(geometry, outChannels: 3, maxBatch: 3, store: store, rng: &rng,
                           spectralNorm: spectralNorm, chunkColumns: 1)
        layer.threads = 2
        let x = Tensor(n: 3, c: 2, h: 6, w: 6)
        GradientCheck.normal(x, &rng)
        let g = LayerGradients(layer, input: x, rng: &rng)
        #expect(g.inputError < GradientCheck.tolerance, "∂x error \(g.inputError)")
        #expect(g.parameterError < GradientCheck.tolerance, "∂θ error \(g.parameterError)")
    }
}
