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

    public static func im2col(_ x: UnsafePointer<Float>, batch: Int, geometry g: ConvGeometry,
                              into col: UnsafeMutablePointer<Float>) {
        let k = g.kernel, s = g.stride, p = g.padding
        let ho = g.outHeight, wo = g.outWidth, pixels = g.outPixels
        let columns = batch * pixels, plane = g.height * g.width
        for c in 0..<g.channels {
            for ki in 0..<k {
                for kj in 0..<k {
                    let row = col + ((c * k + ki) * k + kj) * columns
                    let valid = validColumns(g, kj: kj)
                    for n in 0..<batch {
                        let src = x + (n * g.channels + c) * plane
                        let dst = row + n * pixels
                        for oh in 0..<ho {
                            let ih = oh * s - p + ki
                            let d = dst + oh * wo
                            if ih < 0 || ih >= g.height {
                                for ow in 0..<wo { d[ow] = 0 }
                                continue
                            }
                            let srcRow = src + ih * g.width - p + kj
                            // Plain loops, not memmove/memset: rows are 4–32 floats, where
                            // the library calls cost more than the copy.
                            for ow in 0..<valid.lowerBound { d[ow] = 0 }
                            if s == 1 {
                                for ow in valid { d[ow] = srcRow[ow] }
                            } else {
                                for ow in valid { d[ow] = srcRow[ow * s] }
                            }
                            for ow in valid.upperBound..<wo { d[ow] = 0 }
                        }
                    }
                }
            }
        }
    }

    /// The adjoint of `im2col`: x ← 0, then every column entry is added back to the input
    /// pixel it was copied from (overlapping patches sum). This is ∂L/∂x given ∂L/∂col.
    public static func col2im(_ col: UnsafePointer<Float>, batch: Int, geometry g: ConvGeometry,
                              into x: UnsafeMutablePointer<Float>) {
        let k = g.kernel, s = g.stride, p = g.padding
        let ho = g.outHeight, wo = g.outWidth, pixels = g.outPixels
        let columns = batch * pixels, plane = g.height * g.width
        x.update(repeating: 0, count: batch * g.inputFeatures)
        for c in 0..<g.channels {
            for ki in 0..<k {
                for kj in 0..<k {
                    let row = col + ((c * k + ki) * k + kj) * columns
                    let valid = validColumns(g, kj: kj)
                    for n in 0..<batch {
                        let dstPlane = x + (n * g.channels + c) * plane
                        let src = row + n * pixels
                        for oh in 0..<ho {
                            let ih = oh * s - p + ki
                            if ih < 0 || ih >= g.height { continue }
                            let dstRow = dstPlane + ih * g.width - p + kj
                            let srow = src + oh * wo
                            for ow in valid { dstRow[ow * s] += srow[ow] }
                        }
                    }
                }
            }
        }
    }
}
