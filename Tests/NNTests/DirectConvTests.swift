import Testing
import Tensor
import NN

/// Conv2d's direct 3×3 kernels (D.c1: one input channel, padding 1; G.c3: one output channel,
/// padding 0) must compute what the im2col + GEMM lowering computes: y, ∂L/∂x, ∂L/∂W and ∂L/∂b
/// to float rounding, on odd sizes (row widths that are not multiples of the 8-wide vectors,
/// so the overlapping last vector and its masked lanes are exercised), with and without SN,
/// on one and two workers; and they pass the finite-difference check themselves.
@Suite struct DirectConvTests {
    static let shapes: [(ConvGeometry, Int)] = [
        (ConvGeometry(channels: 1, height: 11, width: 13, kernel: 3, padding: 1), 3),   // Wo 13
        (ConvGeometry(channels: 1, height: 7, width: 8, kernel: 3, padding: 1), 5),     // Wo 8: no overlap
        (ConvGeometry(channels: 3, height: 12, width: 19, kernel: 3), 1),               // Wo 17, W 19
        (ConvGeometry(channels: 2, height: 10, width: 10, kernel: 3), 1),               // Wo 8, W 10
        (ConvGeometry(channels: 1, height: 9, width: 12, kernel: 3), 1),                // both 1, p 0
    ]

    @Test(arguments: 0..<5) func equalsIm2colGemm(_ index: Int) {
        let (g, out) = Self.shapes[index], batch = 5
        for sn in [false, true] {
            let reference = ConvChunkingTests.run(g, out: out, batch: batch,
                                                  split: .init(chunkColumns: 1 << 30, threads: 1),
                                                  spectralNorm: sn, directKernel: false)
            #expect(!reference.direct)
            for threads in [1, 2] {
                let got = ConvChunkingTests.run(g, out: out, batch: batch, split: .init(chunkColumns: 1, threads: threads),
                                                spectralNorm: sn)
                #expect(got.direct, "\(g): a degenerate shape takes the direct kernels")
                #expect(ConvChunkingTests.maxRelative(got.y, reference.y) < 1e-5, "\(g) sn \(sn) T\(threads): y")
                #expect(ConvChunkingTests.maxRelative(got.dx, reference.dx) < 1e-5, "\(g) sn \(sn) T\(threads): ∂x")
                #expect(ConvChunkingTests.maxRelative(got.dTheta, reference.dTheta) < 1e-5, "\(g) sn \(sn) T\(threads): ∂θ")
            }
        }
    }

    @Test(arguments: [0, 2]) func finiteDifferenceGradients(_ index: Int) {
        let (g, out) = Self.shapes[index]
        var rng = SeededRandom(seed: 13)
        let store = ParameterStore()
        let layer = Conv2d(g, outChannels: out, maxBatch: 2, store: store, rng: &rng)
        layer.threads = 2
        #expect(layer.usesDirectKernel)
        let x = Tensor(n: 2, c: g.channels, h: g.height, w: g.width)
        GradientCheck.normal(x, &rng)
        let gradients = LayerGradients(layer, input: x, rng: &rng)
        #expect(gradients.inputError < GradientCheck.tolerance, "∂x error \(gradients.inputError)")
        #expect(gradients.parameterError < GradientCheck.tolerance, "∂θ error \(gradients.parameterError)")
    }
}
