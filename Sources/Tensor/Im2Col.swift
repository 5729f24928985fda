/// Sizes of a 2-D convolution over NCHW input: `channels`×`height`×`width` in, square
/// `kernel`, `stride`, zero `padding`. Output side = ⌊(side + 2·padding − kernel)/stride⌋ + 1.
public struct ConvGeometry: Sendable, Equatable {
    public let channels, height, width, kernel, stride, padding: Int

    public init(channels: Int, height: Int, width: Int, kernel: Int, stride: Int = 1, padding: Int = 0) {
        precondition(channels > 0 && height > 0 && width > 0 && kernel > 0 && stride > 0 && padding >= 0,
                     "invalid convolution geometry")
        self.channels = channels; self.height = height; self.width = width
        self.kernel = kernel; self.stride = stride; self.padding = padding
        precondition(outHeight > 0 && outWidth > 0, "kernel \(kernel) larger than padded input \(height)×\(width)")
    }

    public var outHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
    public var outWidth: Int { (width + 2 * padding - kernel) / stride + 1 }
    /// Output pixels per sample and channel: Ho·Wo.
    public var outPixels: Int { outHeight * outWidth }
    /// Rows of the column matrix: C·k·k (one per weight of an output channel).
    public var patchSize: Int { channels * kernel * kernel }
    public var inputFeatures: Int { channels * height * width }
}

/// Lowering of a convolution over a whole batch to one GEMM.
///
/// Column matrix layout, (C·k·k) × (N·Ho·Wo) row-major:
///   col[(c·k + ki)·k + kj, n·Ho·Wo + oh·Wo + ow] = x[n, c, oh·s − p + ki, ow·s − p + kj]
/// (zero where the index falls in the padding). Then out(O × N·Ho·Wo) = W(O × C·k·k) · col.
///
/// Both directions work sample by sample on the phase planes of the zero-padded input xp
/// ((H+2p) × (W+2p) per channel), in the caller's `padded` scratch of `scratchCount` floats:
///   ph[c, a, b][i, j] = xp[c, i·s + a, j·s + b]   (a, b < s; s² planes of ⌈(H+2p)/s⌉ × ⌈(W+2p)/s⌉)
/// so that  col[(c, ki, kj), (n, oh, ow)] = ph[c, ki mod s, kj mod s][oh + ki div s, ow + kj div s]:
/// every column row is a unit-stride copy of Wo floats, done with 4-wide vectors (the rows are
/// 4–30 floats, where per-row bounds arithmetic, strided scalar loops and library calls cost
/// more than the copy: they were ≈ 30% of training time). With s = 1 and p = 0, ph is x itself.
public enum Im2Col {
    typealias Vector = SIMD4<Float>

    /// Rows and columns of one phase plane.
    @inline(__always)
    static func phaseSize(_ g: ConvGeometry) -> (rows: Int, columns: Int) {
        ((g.height + 2 * g.padding + g.stride - 1) / g.stride, (g.width + 2 * g.padding + g.stride - 1) / g.stride)
    }

    /// Floats of the `padded` scratch: one sample's phase planes.
    public static func scratchCount(_ g: ConvGeometry) -> Int {
        let (rows, columns) = phaseSize(g)
        return g.channels * g.stride * g.stride * rows * columns
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> Vector { UnsafeRawPointer(p).loadUnaligned(as: Vector.self) }

    @inline(__always)
    static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self) }

    /// `rows` rows of `count` floats from src (row stride `srcStride`) to dst (row stride
    /// `count`): 4-wide, the last vector of a row overlapping its predecessor; the widths of
    /// the presets' small layers (4, 8) get loops of their own (a general row loop's setup
    /// costs more than a 4-float copy).
    @inline(__always)
    static func copyRows(_ src: UnsafePointer<Float>, srcStride: Int, _ dst: UnsafeMutablePointer<Float>,
                         rows: Int, count: Int) {
        switch count {
        case 4:
            for r in 0..<rows { store(load(src + r &* srcStride), dst + r &* 4) }
        case 8:
            for r in 0..<rows {
                let s = src + r &* srcStride, d = dst + r &* 8
                store(load(s), d); store(load(s + 4), d + 4)
            }
        default:
            for r in 0..<rows { copyRow(src + r &* srcStride, dst + r &* count, count) }
        }
    }

    /// dst[0..<count] = src[0..<count]: 4-wide, the last vector overlapping its predecessor.
    @inline(__always)
    static func copyRow(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        guard count >= 4 else { for j in 0..<count { dst[j] = src[j] }; return }
        var j = 0
        while j < count - 4 {
            UnsafeMutableRawPointer(dst + j).storeBytes(of: UnsafeRawPointer(src + j).loadUnaligned(as: Vector.self), as: Vector.self)
            j &+= 4
        }
        UnsafeMutableRawPointer(dst + count - 4)
            .storeBytes(of: UnsafeRawPointer(src + count - 4).loadUnaligned(as: Vector.self), as: Vector.self)
    }

    /// dst[0..<count] += src[0..<count]: 4-wide, then a scalar tail (a sum must not overlap).
    @inline(__always)
    static func addRow(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        var j = 0
        while j &+ 4 <= count {
            let sum = UnsafeRawPointer(dst + j).loadUnaligned(as: Vector.self) + UnsafeRawPointer(src + j).loadUnaligned(as: Vector.self)
            UnsafeMutableRawPointer(dst + j).storeBytes(of: sum, as: Vector.self)
            j &+= 4
        }
        while j < count { dst[j] += src[j]; j &+= 1 }
    }

    /// The phase planes of one sample (see the type's comment) written whole into `ph`, zeros included.
    static func splitPhases(_ x: UnsafePointer<Float>, _ g: ConvGeometry, into ph: UnsafeMutablePointer<Float>) {
        let s = g.stride, p = g.padding, (rows, columns) = phaseSize(g), plane = rows * columns
        if s == 2 && p == 1 {
            splitPhasesStride2(x, g, into: ph)
            return
        }
        for c in 0..<g.channels {
            let source = x + c * g.height * g.width
            for a in 0..<s {
                for b in 0..<s {
                    let dst = ph + ((c * s + a) * s + b) * plane
                    // Columns j with iw = j·s + b − p inside 0..<W.
                    let first = min(columns, max(0, (p - b + s - 1) / s))
                    let end = max(first, min(columns, (g.width + p - b + s - 1) / s))
                    for i in 0..<rows {
                        let ih = i * s + a - p, row = dst + i * columns
                        guard ih >= 0 && ih < g.height else { row.update(repeating: 0, count: columns); continue }
                        let src = source + ih * g.width + b - p
                        for j in 0..<first { row[j] = 0 }
                        if s == 1 { copyRow(src + first, row + first, end - first) } else {
                            for j in first..<end { row[j] = src[j &* s] }
                        }
                        for j in end..<columns { row[j] = 0 }
                    }
                }
            }
        }
    }

    /// `splitPhases` for stride 2, padding 1 (D.c2, D.c3, D.c4, D.rc): input row ih goes to
    /// phase a = (ih+1) mod 2, row (ih+1) div 2; its even columns iw = 2j to phase b = 1, column
    /// j, its odd columns iw = 2j+1 to phase b = 0, column j+1: a 4-wide deinterleave of 8 floats.
    static func splitPhasesStride2(_ x: UnsafePointer<Float>, _ g: ConvGeometry, into ph: UnsafeMutablePointer<Float>) {
        ph.update(repeating: 0, count: scratchCount(g))
        forEachStride2Row(g, ph) { ih, evenColumns, oddColumns in
            let src = x + ih * g.width
            var j = 0
            while 2 &* j &+ 8 <= g.width {
                let lo = load(src + (2 &* j)), hi = load(src + (2 &* j &+ 4))
                store(Vector(lo[0], lo[2], hi[0], hi[2]), evenColumns + j)
                store(Vector(lo[1], lo[3], hi[1], hi[3]), oddColumns + j)
                j &+= 4
            }
            var iw = 2 &* j
            while iw < g.width {
                if iw & 1 == 0 { evenColumns[iw >> 1] = src[iw] } else { oddColumns[iw >> 1] = src[iw] }
                iw &+= 1
            }
        }
    }

    /// Calls `body(c·H + ih, even, odd)` for every input row of a stride-2, padding-1 geometry
    /// with the phase-plane rows its even columns (phase b = 1, from column 0) and odd columns
    /// (phase b = 0, from column 1) go to.
    @inline(__always)
    static func forEachStride2Row(_ g: ConvGeometry, _ ph: UnsafeMutablePointer<Float>,
                                  _ body: (Int, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
        let (rows, columns) = phaseSize(g), plane = rows * columns
        for c in 0..<g.channels {
            let planes = ph + c * 4 * plane
            for ih in 0..<g.height {
                let oddColumns = planes + (2 * ((ih + 1) & 1)) * plane + ((ih + 1) >> 1) * columns + 1
                body(c * g.height + ih, oddColumns + plane - 1, oddColumns)
            }
        }
    }

    /// `mergePhases` for stride 2, padding 1: the inverse of `splitPhasesStride2`'s scatter.
    static func mergePhasesStride2(_ ph: UnsafeMutablePointer<Float>, _ g: ConvGeometry, into x: UnsafeMutablePointer<Float>) {
        forEachStride2Row(g, ph) { ih, evenColumns, oddColumns in
            let dst = x + ih * g.width
            var j = 0
            while 2 &* j &+ 8 <= g.width {
                let e = load(evenColumns + j), o = load(oddColumns + j)
                store(Vector(e[0], o[0], e[1], o[1]), dst + (2 &* j))
                store(Vector(e[2], o[2], e[3], o[3]), dst + (2 &* j &+ 4))
                j &+= 4
            }
            var iw = 2 &* j
            while iw < g.width {
                dst[iw] = iw & 1 == 0 ? evenColumns[iw >> 1] : oddColumns[iw >> 1]
                iw &+= 1
            }
        }
    }

    /// The adjoint's last step: x[c, ih, iw] = ph[c, (ih+p) mod s, (iw+p) mod s][(ih+p) div s, (iw+p) div s].
    static func mergePhases(_ ph: UnsafeMutablePointer<Float>, _ g: ConvGeometry, into x: UnsafeMutablePointer<Float>) {
        let s = g.stride, p = g.padding, (rows, columns) = phaseSize(g), plane = rows * columns
        if s == 2 && p == 1 { mergePhasesStride2(ph, g, into: x); return }
        for c in 0..<g.channels {
            for ih in 0..<g.height {
                let a = (ih + p) % s, i = (ih + p) / s, dst = x + (c * g.height + ih) * g.width
                for b in 0..<s {
                    let src = ph + ((c * s + a) * s + b) * plane + i * columns
                    // iw = j·s + b − p for j from ⌈(p − b)/s⌉ while iw < W.
                    var j = max(0, (p - b + s - 1) / s), iw = j * s + b - p
                    while iw < g.width { dst[iw] = src[j]; j &+= 1; iw &+= s }
                }
            }
        }
    }

    /// Calls `body(taps)` with the offset, in the phase planes (rows of `phaseSize(g).columns`
    /// floats), of each tap (ki, kj)'s first element within one channel's s² planes, in (ki, kj)
    /// order; channel c adds c·s²·plane. Computed once per call: the divisions by the stride
    /// cost more than a 16-float copy of the presets' 4×4 layers when done per tap.
    @inline(__always)
    static func withTapOffsets<R>(_ g: ConvGeometry, _ body: (UnsafeBufferPointer<Int>) -> R) -> R {
        let k = g.kernel, s = g.stride, (rows, width) = phaseSize(g), plane = rows * width
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: k * k) { taps in
            for ki in 0..<k {
                for kj in 0..<k { taps[ki * k + kj] = ((ki % s) * s + kj % s) * plane + (ki / s) * width + kj / s }
            }
            return body(UnsafeBufferPointer(taps))
        }
    }

    /// col[(c, ki, kj), n·Ho·Wo + (oh, ow)] for samples 0..<batch of x (see the type's comment):
    /// per sample, its phase planes (unless s = 1, p = 0), then one Ho × Wo block copy per
    /// (c, ki, kj) row of col.
    public static func im2col(_ x: UnsafePointer<Float>, batch: Int, geometry g: ConvGeometry,
                              into col: UnsafeMutablePointer<Float>, padded: UnsafeMutablePointer<Float>) {
        let ho = g.outHeight, wo = g.outWidth, width = phaseSize(g).columns, pixels = g.outPixels
        let columns = batch &* pixels, channelBlock = g.stride &* g.stride &* phaseSize(g).rows &* width
        let direct = g.stride == 1 && g.padding == 0
        withTapOffsets(g) { taps in
            for n in 0..<batch {
                let sample = x + n &* g.inputFeatures
                if !direct { splitPhases(sample, g, into: padded) }
                var block = direct ? sample : UnsafePointer(padded), dst = col + n &* pixels
                for _ in 0..<g.channels {
                    for tap in taps {
                        copyRows(block + tap, srcStride: width, dst, rows: ho, count: wo)
                        dst += columns
                    }
                    block += channelBlock
                }
            }
        }
    }

    /// The adjoint of `im2col`: x ← 0, then every column entry is added back to the input
    /// pixel it was copied from (overlapping patches sum, in (ki, kj) order). This is ∂L/∂x
    /// given ∂L/∂col. The sums go to the phase planes, which are then merged into x.
    public static func col2im(_ col: UnsafePointer<Float>, batch: Int, geometry g: ConvGeometry,
                              into x: UnsafeMutablePointer<Float>, padded: UnsafeMutablePointer<Float>) {
        let ho = g.outHeight, wo = g.outWidth, width = phaseSize(g).columns, pixels = g.outPixels
        let columns = batch &* pixels, channelBlock = g.stride &* g.stride &* phaseSize(g).rows &* width
        let direct = g.stride == 1 && g.padding == 0
        withTapOffsets(g) { taps in
            for n in 0..<batch {
                let sample = x + n &* g.inputFeatures
                let ph = direct ? sample : padded
                ph.update(repeating: 0, count: direct ? g.inputFeatures : scratchCount(g))
                var block = ph, src = col + n &* pixels
                for _ in 0..<g.channels {
                    for tap in taps {
                        let dst = block + tap
                        if wo == 4 {
                            for oh in 0..<ho { let d = dst + oh &* width; store(load(d) + load(src + oh &* 4), d) }
                        } else {
                            for oh in 0..<ho { addRow(src + oh &* wo, dst + oh &* width, wo) }
                        }
                        src += columns
                    }
                    block += channelBlock
                }
                if !direct { mergePhases(padded, g, into: sample) }
            }
        }
    }
}
