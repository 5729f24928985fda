import Testing
import Tensor
import NN

/// The sub-pixel layer must be exactly Upsample2x → Conv2d(3×3, p1): same parameters from the
/// same seed, same outputs, ∂L/∂x and ∂L/∂θ to float rounding, for one and two workers and for
/// chunks of one or several samples; and its own backward passes the finite-difference check.
@Suite struct UpsampleConvTests {
    struct Case: CustomStringConvertible {
        let c, h, w, o, chunkColumns, threads: Int
        var description: String { "\(c)×\(h)×\(w)→\(o) chunkColumns \(chunkColumns) threads \(threads)" }
    }

    static func maxRelative(_ a: [Float], _ b: [Float]) -> Float {
        let scale = max(b.map(abs).max() ?? 0, 1e-6)
        return zip(a, b).map { abs($0 - $1) }.max()! / scale
    }

    @Test(arguments: [
        Case(c: 3, h: 4, w: 5, o: 2, chunkColumns: 1 << 30, threads: 1),
        Case(c: 3, h: 4, w: 5, o: 2, chunkColumns: 1, threads: 2),
        Case(c: 4, h: 8, w: 8, o: 3, chunkColumns: 2 * 81, threads: 1),
        Case(c: 4, h: 8, w: 8, o: 3, chunkColumns: 2 * 81, threads: 2),
        Case(c: 1, h: 3, w: 2, o: 1, chunkColumns: 1, threads: 1),
    ])
    func equalsUpsampleThenConv(_ t: Case) {
        let batch = 5
        var rngA = SeededRandom(seed: 21), rngB = SeededRandom(seed: 21)
        let storeA = ParameterStore(), storeB = ParameterStore()
        let up = Upsample2x(channels: t.c, height: t.h, width: t.w, maxBatch: batch)
        let conv = Conv2d(ConvGeometry(channels: t.c, height: 2 * t.h, width: 2 * t.w, kernel: 3, padding: 1),
                          outChannels: t.o, maxBatch: batch, store: storeA, rng: &rngA)
        let fused = UpsampleConv2d(channels: t.c, height: t.h, width: t.w, outChannels: t.o, maxBatch: batch,
                                   store: storeB, rng: &rngB, chunkColumns: t.chunkColumns)
        fused.threads = t.threads
        #expect(storeA.parameterCount == storeB.parameterCount)
        #expect(Array(UnsafeBufferPointer(start: storeA.parameters, count: storeA.parameterCount))
                == Array(UnsafeBufferPointer(start: storeB.parameters, count: storeB.parameterCount)))
        var rng = SeededRandom(seed: 22)
        let x = Tensor(n: batch, c: t.c, h: t.h, w: t.w)
        GradientCheck.normal(x, &rng)
        let reference = conv.forward(up.forward(x)), y = fused.forward(x)
        #expect((y.n, y.c, y.h, y.w) == (reference.n, reference.c, reference.h, reference.w))
        #expect(Self.maxRelative(y.toArray(), reference.toArray()) < 1e-5, "\(t): y")
        let r = Tensor(n: y.n, c: y.c, h: y.h, w: y.w)
        GradientCheck.normal(r, &rng)
        storeA.zeroGradients(); storeB.zeroGradients()
        let dxReference = up.backward(conv.backward(r)).toArray(), dx = fused.backward(r).toArray()
        #expect(Self.maxRelative(dx, dxReference) < 1e-5, "\(t): ∂x")
        let gA = Array(UnsafeBufferPointer(start: storeA.gradients, count: storeA.parameterCount))
        let gB = Array(UnsafeBufferPointer(start: storeB.gradients, count: storeB.parameterCount))
        #expect(Self.maxRelative(gB, gA) < 1e-5, "\(t): ∂θ")
    }

    @Test(arguments: [1, 2]) func finiteDifferenceGradients(threads: Int) {
        var rng = SeededRandom(seed: 23)
        let store = ParameterStore()
        let layer = UpsampleConv2d(channels: 2, height: 3, width: 4, outChannels: 2, maxBatch: 2,
                                   store: store, rng: &rng, chunkColumns: 1)
        layer.threads = threads
        let x = Tensor(n: 2, c: 2, h: 3, w: 4)
        GradientCheck.normal(x, &rng)
        let g = LayerGradients(layer, input: x, rng: &rng)
        #expect(g.inputError < GradientCheck.tolerance, "∂x error \(g.inputError)")
        #expect(g.parameterError < GradientCheck.tolerance, "∂θ error \(g.parameterError)")
    }
}
