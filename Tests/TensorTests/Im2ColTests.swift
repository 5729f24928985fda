import Testing
import Tensor

/// im2col + GEMM and col2im against a direct (naive, double-precision) convolution.
@Suite struct Im2ColTests {
    struct Case: Sendable, CustomStringConvertible {
        let n, c, h, w, k, s, p, o: Int
        var description: String { "n\(n) c\(c) \(h)×\(w) k\(k) s\(s) p\(p) o\(o)" }
    }

    static let cases: [Case] = [
        Case(n: 2, c: 3, h: 7, w: 7, k: 3, s: 1, p: 1, o: 4),
        Case(n: 3, c: 2, h: 9, w: 8, k: 3, s: 2, p: 1, o: 5),
        Case(n: 2, c: 4, h: 15, w: 15, k: 3, s: 2, p: 1, o: 3),
        Case(n: 1, c: 2, h: 6, w: 5, k: 3, s: 1, p: 0, o: 2),
        Case(n: 2, c: 1, h: 10, w: 7, k: 4, s: 3, p: 2, o: 3),
        Case(n: 2, c: 3, h: 5, w: 5, k: 1, s: 2, p: 0, o: 2),
        Case(n: 2, c: 2, h: 8, w: 18, k: 3, s: 2, p: 1, o: 3),    // stride-2 phase split: vectors + tail
        Case(n: 2, c: 2, h: 6, w: 5, k: 3, s: 2, p: 1, o: 2),     // stride-2 phase split: tail only
    ]

    /// A padded-plane scratch filled with NaN: a result that read it unwritten would show.
    static func withScratch(_ g: ConvGeometry, _ body: (UnsafeMutablePointer<Float>) -> Void) {
        var scratch = [Float](repeating: .nan, count: max(1, Im2Col.scratchCount(g)))
        scratch.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
    }

    static func random(_ count: Int, _ rng: inout SeededRandom) -> [Float] {
        (0..<count).map { _ in Float(rng.normal()) }
    }

    @Test(arguments: cases) func forwardMatchesDirectConvolution(_ t: Case) {
        var rng = SeededRandom(seed: 11)
        let g = ConvGeometry(channels: t.c, height: t.h, width: t.w, kernel: t.k, stride: t.s, padding: t.p)
        let x = Self.random(t.n * g.inputFeatures, &rng), wt = Self.random(t.o * g.patchSize, &rng)
        let cols = t.n * g.outPixels
        var col = [Float](repeating: .nan, count: g.patchSize * cols)
        var out = [Float](repeating: 0, count: t.o * cols)
        im2colGemm(x, wt, g, t, &col, &out)
        var maxError = 0.0
        for s in 0..<t.n { for o in 0..<t.o { for oh in 0..<g.outHeight { for ow in 0..<g.outWidth {
            var ref = 0.0
            for c in 0..<t.c { for ki in 0..<t.k { for kj in 0..<t.k {
                let ih = oh * t.s - t.p + ki, iw = ow * t.s - t.p + kj
                guard ih >= 0, ih < t.h, iw >= 0, iw < t.w else { continue }
                ref += Double(wt[((o * t.c + c) * t.k + ki) * t.k + kj]) * Double(x[((s * t.c + c) * t.h + ih) * t.w + iw])
            }}}
            let got = Double(out[o * cols + s * g.outPixels + oh * g.outWidth + ow])
            maxError = max(maxError, abs(got - ref))
        }}}}
        #expect(maxError < 1e-4, "\(t): max |im2col·GEMM − direct| = \(maxError)")
        #expect(!col.contains { $0.isNaN }, "im2col left entries unwritten")
    }

    private func im2colGemm(_ x: [Float], _ wt: [Float], _ g: ConvGeometry, _ t: Case,
                            _ col: inout [Float], _ out: inout [Float]) {
        let cols = t.n * g.outPixels
        x.withUnsafeBufferPointer { xp in col.withUnsafeMutableBufferPointer { cp in
            Self.withScratch(g) { Im2Col.im2col(xp.baseAddress!, batch: t.n, geometry: g, into: cp.baseAddress!, padded: $0) }
        }}
        wt.withUnsafeBufferPointer { wp in col.withUnsafeBufferPointer { cp in out.withUnsafeMutableBufferPointer { op in
            BLAS.sgemm(m: t.o, n: cols, k: g.patchSize, a: wp.baseAddress!, lda: g.patchSize,
                       b: cp.baseAddress!, ldb: cols, c: op.baseAddress!, ldc: cols)
        }}}
    }

    /// col2im(Wᵀ·dY') is the input gradient of the convolution:
    /// dx[n,c,ih,iw] = Σ_{o,ki,kj} W[o,c,ki,kj]·dy[n,o,oh,ow] over (oh, ow) that read (ih, iw).
    @Test(arguments: cases) func col2imMatchesDirectInputGradient(_ t: Case) {
        var rng = SeededRandom(seed: 12)
        let g = ConvGeometry(channels: t.c, height: t.h, width: t.w, kernel: t.k, stride: t.s, padding: t.p)
        let cols = t.n * g.outPixels
        let wt = Self.random(t.o * g.patchSize, &rng), dyT = Self.random(t.o * cols, &rng) // dY' (o × n·P)
        var dcol = [Float](repeating: 0, count: g.patchSize * cols)
        var dx = [Float](repeating: .nan, count: t.n * g.inputFeatures)
        wt.withUnsafeBufferPointer { wp in dyT.withUnsafeBufferPointer { dp in dcol.withUnsafeMutableBufferPointer { cp in
            BLAS.sgemm(transA: true, m: g.patchSize, n: cols, k: t.o, a: wp.baseAddress!, lda: g.patchSize,
                       b: dp.baseAddress!, ldb: cols, c: cp.baseAddress!, ldc: cols)
        }}}
        dcol.withUnsafeBufferPointer { cp in dx.withUnsafeMutableBufferPointer { xp in
            Self.withScratch(g) { Im2Col.col2im(cp.baseAddress!, batch: t.n, geometry: g, into: xp.baseAddress!, padded: $0) }
        }}
        var ref = [Double](repeating: 0, count: dx.count)
        for s in 0..<t.n { for o in 0..<t.o { for oh in 0..<g.outHeight { for ow in 0..<g.outWidth {
            let d = Double(dyT[o * cols + s * g.outPixels + oh * g.outWidth + ow])
            for c in 0..<t.c { for ki in 0..<t.k { for kj in 0..<t.k {
                let ih = oh * t.s - t.p + ki, iw = ow * t.s - t.p + kj
                guard ih >= 0, ih < t.h, iw >= 0, iw < t.w else { continue }
                ref[((s * t.c + c) * t.h + ih) * t.w + iw] += d * Double(wt[((o * t.c + c) * t.k + ki) * t.k + kj])
            }}}
        }}}}
        let maxError = zip(dx, ref).map { abs(Double($0) - $1) }.max()!
        #expect(maxError < 1e-4, "\(t): max |col2im − direct input gradient| = \(maxError)")
    }

    @Test func geometryOutputSizes() {
        #expect(ConvGeometry(channels: 1, height: 30, width: 30, kernel: 3, stride: 2, padding: 1).outHeight == 15)
        #expect(ConvGeometry(channels: 1, height: 15, width: 15, kernel: 3, stride: 2, padding: 1).outHeight == 8)
        #expect(ConvGeometry(channels: 1, height: 8, width: 8, kernel: 3, stride: 2, padding: 1).outHeight == 4)
        #expect(ConvGeometry(channels: 1, height: 32, width: 32, kernel: 3).outHeight == 30)
    }
}
