import Testing
import Tensor
import NN

/// A conv with its LeakyReLU fused (`activationSlope`) must equal the conv followed by a
/// LeakyReLU layer: output, ∂L/∂x and ∂L/∂θ to float rounding, for the GEMM path (chunks of one
/// and several samples), the direct 3×3 path and the sub-pixel upsampling conv, on 1 and 2 workers.
@Suite struct FusedActivationTests {
    /// (y, ∂L/∂x, ∂L/∂θ) of L = Σ r·layer(x) for a layer built from a fixed seed; `fused` sets
    /// the layer's activation, else a LeakyReLU layer follows it.
    static func run<L>(_ make: (ParameterStore, inout SeededRandom) -> L, input: (n: Int, c: Int, h: Int, w: Int),
                       fused: Bool, forward: (inout L, Tensor) -> Tensor, backward: (inout L, Tensor) -> Tensor)
        -> (y: [Float], dx: [Float], dTheta: [Float]) {
        var rng = SeededRandom(seed: 31)
        let store = ParameterStore()
        var layer = make(store, &rng)
        let x = Tensor(n: input.n, c: input.c, h: input.h, w: input.w)
        GradientCheck.normal(x, &rng)
        var y = forward(&layer, x)
        let act = LeakyReLU(features: y.featureCount, maxBatch: y.n, slope: 0.2)
        if !fused { y = act.forward(y) }
        let r = Tensor(n: y.n, c: y.c, h: y.h, w: y.w)
        GradientCheck.normal(r, &rng)
        store.zeroGradients()
        let dx = backward(&layer, fused ? r : act.backward(r)).toArray()
        return (y.toArray(), dx, Array(UnsafeBufferPointer(start: store.gradients, count: store.parameterCount)))
    }

    static func expectEqual(_ a: (y: [Float], dx: [Float], dTheta: [Float]), _ b: (y: [Float], dx: [Float], dTheta: [Float]),
                            _ label: String) {
        #expect(ConvChunkingTests.maxRelative(a.y, b.y) < 1e-6, "\(label): y")
        #expect(ConvChunkingTests.maxRelative(a.dx, b.dx) < 1e-5, "\(label): ∂x")
        #expect(ConvChunkingTests.maxRelative(a.dTheta, b.dTheta) < 1e-5, "\(label): ∂θ")
    }

    @Test(arguments: [
        (ConvGeometry(channels: 3, height: 9, width: 9, kernel: 3, stride: 2, padding: 1), 4),   // GEMM path
        (ConvGeometry(channels: 1, height: 11, width: 13, kernel: 3, padding: 1), 3),            // direct, Cin 1
        (ConvGeometry(channels: 3, height: 10, width: 12, kernel: 3), 1),                        // direct, Cout 1
    ])
    func conv2dEqualsConvThenLeakyReLU(_ g: ConvGeometry, _ out: Int) {
        for (chunkColumns, threads) in [(1, 1), (1 << 30, 1), (1, 2), (2 * g.outPixels, 2)] {
            func layer(fused: Bool) -> (y: [Float], dx: [Float], dTheta: [Float]) {
                Self.run({ store, rng in
                    let conv = Conv2d(g, outChannels: out, maxBatch: 5, store: store, rng: &rng, chunkColumns: chunkColumns)
                    conv.threads = threads
                    if fused { conv.activationSlope = 0.2 }
                    return conv
                }, input: (5, g.channels, g.height, g.width), fused: fused,
                forward: { $0.forward($1) }, backward: { $0.backward($1) })
            }
            Self.expectEqual(layer(fused: true), layer(fused: false), "\(g) chunkColumns \(chunkColumns) threads \(threads)")
        }
    }

    @Test(arguments: [1, 2]) func upsampleConvEqualsConvThenLeakyReLU(threads: Int) {
        func layer(fused: Bool) -> (y: [Float], dx: [Float], dTheta: [Float]) {
            Self.run({ store, rng in
                let conv = UpsampleConv2d(channels: 3, height: 5, width: 6, outChannels: 2, maxBatch: 4,
                                          store: store, rng: &rng, chunkColumns: 1)
                conv.threads = threads
                if fused { conv.activationSlope = 0.2 }
                return conv
            }, input: (4, 3, 5, 6), fused: fused, forward: { $0.forward($1) }, backward: { $0.backward($1) })
        }
        Self.expectEqual(layer(fused: true), layer(fused: false), "upsample conv threads \(threads)")
    }
}
