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
public enum Im2Col {
    /// Range of ow for which iw = ow·s − p + kj lies in 0..<width.
    @inline(__always)
    static func validColumns(_ g: ConvGeometry, kj: Int) -> Range<Int> {
        let shift = g.padding - kj
        let start = shift <= 0 ? 0 : (shift + g.stride - 1) / g.stride
        let last = g.width - 1 + shift
        let end = last < 0 ? 0 : min(g.outWidth, last / g.stride + 1)
        return start..<max(start, end)
    }

    /// Calls `body(colRow, inputRow, valid)` for every (c, ki, kj, n, oh) row of the column
    /// matrix: `colRow` is the offset of its Wo entries in col, `inputRow` the offset in x of
    /// the input element that ow = 0 maps to (iw = −p + kj, possibly outside the row; only
    /// `inputRow + ow·s` for ow in `valid` is inside), or nil when ih falls in the padding.
    @inline(__always)
    static func forEachRow(batch: Int, geometry g: ConvGeometry, _ body: (Int, Int?, Range<Int>) -> Void) {
        let k = g.kernel, pixels = g.outPixels, columns = batch * pixels, plane = g.height * g.width
        for c in 0..<g.channels {
            for ki in 0..<k {
                for kj in 0..<k {
                    let row = ((c * k + ki) * k + kj) * columns
                    let valid = validColumns(g, kj: kj)
                    for n in 0..<batch {
                        for oh in 0..<g.outHeight {
                            let ih = oh * g.stride - g.padding + ki
                            let inside = ih >= 0 && ih < g.height
                            body(row + n * pixels + oh * g.outWidth,
                                 inside ? (n * g.channels + c) * plane + ih * g.width - g.padding + kj : nil, valid)
                        }
                    }
                }
            }
        }
    }

    public static func im2col(_ x: UnsafePointer<Float>, batch: Int, geometry g: ConvGeometry,
                              into col: UnsafeMutablePointer<Float>) {
        let s = g.stride, wo = g.outWidth
        forEachRow(batch: batch, geometry: g) { colRow, inputRow, valid in
            let d = col + colRow
            // Plain loops, not memmove/memset: rows are 4–32 floats, where the library calls
            // cost more than the copy.
            guard let inputRow else { for ow in 0..<wo { d[ow] = 0 }; return }
            let srcRow = x + inputRow
            for ow in 0..<valid.lowerBound { d[ow] = 0 }
            if s == 1 {
                for ow in valid { d[ow] = srcRow[ow] }
            } else {
                for ow in valid { d[ow] = srcRow[ow * s] }
            }
            for ow in valid.upperBound..<wo { d[ow] = 0 }
        }
    }

    /// The adjoint of `im2col`: x ← 0, then every column entry is added back to the input
    /// pixel it was copied from (overlapping patches sum). This is ∂L/∂x given ∂L/∂col.
    public static func col2im(_ col: UnsafePointer<Float>, batch: Int, geometry g: ConvGeometry,
                              into x: UnsafeMutablePointer<Float>) {
        let s = g.stride
        x.update(repeating: 0, count: batch * g.inputFeatures)
        forEachRow(batch: batch, geometry: g) { colRow, inputRow, valid in
            guard let inputRow else { return }
            let dstRow = x + inputRow, srcRow = col + colRow
            if s == 1 {
                // Unit stride: a contiguous add the compiler vectorises.
                for ow in valid { dstRow[ow] += srcRow[ow] }
            } else {
                for ow in valid { dstRow[ow * s] += srcRow[ow] }
            }
        }
    }
}
