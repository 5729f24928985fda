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
/// Both directions work sample by sample on the zero-padded planes xp (C × (H+2p) × (W+2p),
/// in the caller's `padded` scratch of `scratchCount` floats; x itself when p = 0), where
///   col[(c, ki, kj), (n, oh, ow)] = xp[c, oh·s + ki, ow·s + kj]
/// has no bounds to test: the rows are 4–30 floats, so per-row range arithmetic and the
/// branches around it cost more than the copy (they were ≈ 30% of training time).
public enum Im2Col {
    /// Floats of the `padded` scratch: one sample's padded planes.
    public static func scratchCount(_ g: ConvGeometry) -> Int {
        g.channels * (g.height + 2 * g.padding) * (g.width + 2 * g.padding)
    }

    public static func im2col(_ x: UnsafePointer<Float>, batch: Int, geometry g: ConvGeometry,
                              into col: UnsafeMutablePointer<Float>, padded: UnsafeMutablePointer<Float>) {
        let k = g.kernel, s = g.stride, p = g.padding, ho = g.outHeight, wo = g.outWidth
        let pixels = g.outPixels, columns = batch * pixels
        let hp = g.height + 2 * p, wp = g.width + 2 * p
        for n in 0..<batch {
            let sample = x + n * g.inputFeatures
            let planes: UnsafePointer<Float>
            if p == 0 {
                planes = sample
            } else {
                // Every padded row is written whole (border zeros too): the scratch is shared.
                for c in 0..<g.channels {
                    let plane = padded + c * hp * wp
                    (plane).update(repeating: 0, count: p * wp)
                    for ih in 0..<g.height {
                        let row = plane + (ih + p) * wp, source = sample + (c * g.height + ih) * g.width
                        for j in 0..<p { row[j] = 0; row[wp - 1 - j] = 0 }
                        // A loop, not memmove: rows are short.
                        for iw in 0..<g.width { row[p + iw] = source[iw] }
                    }
                    (plane + (hp - p) * wp).update(repeating: 0, count: p * wp)
                }
                planes = UnsafePointer(padded)
            }
            for c in 0..<g.channels {
                let plane = planes + c * hp * wp
                for ki in 0..<k {
                    for kj in 0..<k {
                        let dst = col + ((c * k + ki) * k + kj) * columns + n * pixels
                        for oh in 0..<ho {
                            let src = plane + ((oh &* s &+ ki) &* wp &+ kj), d = dst + oh &* wo
                            if s == 1 {
                                for ow in 0..<wo { d[ow] = src[ow] }
                            } else {
                                for ow in 0..<wo { d[ow] = src[ow &* s] }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The adjoint of `im2col`: x ← 0, then every column entry is added back to the input
    /// pixel it was copied from (overlapping patches sum, in (ki, kj) order). This is ∂L/∂x
    /// given ∂L/∂col. With padding the sums go to the padded planes, whose interior is then copied to x.
    public static func col2im(_ col: UnsafePointer<Float>, batch: Int, geometry g: ConvGeometry,
                              into x: UnsafeMutablePointer<Float>, padded: UnsafeMutablePointer<Float>) {
        let k = g.kernel, s = g.stride, p = g.padding, ho = g.outHeight, wo = g.outWidth
        let pixels = g.outPixels, columns = batch * pixels
        let hp = g.height + 2 * p, wp = g.width + 2 * p
        for n in 0..<batch {
            let sample = x + n * g.inputFeatures
            let planes = p == 0 ? sample : padded
            planes.update(repeating: 0, count: g.channels * hp * wp)
            for c in 0..<g.channels {
                let plane = planes + c * hp * wp
                for ki in 0..<k {
                    for kj in 0..<k {
                        let src = col + ((c * k + ki) * k + kj) * columns + n * pixels
                        for oh in 0..<ho {
                            let d = plane + ((oh &* s &+ ki) &* wp &+ kj), r = src + oh &* wo
                            if s == 1 {
                                for ow in 0..<wo { d[ow] += r[ow] }
                            } else {
                                for ow in 0..<wo { d[ow &* s] += r[ow] }
                            }
                        }
                    }
                }
            }
            if p > 0 {
                for c in 0..<g.channels {
                    for ih in 0..<g.height {
                        let row = sample + (c * g.height + ih) * g.width, source = padded + (c * hp + ih + p) * wp + p
                        for iw in 0..<g.width { row[iw] = source[iw] }
                    }
                }
            }
        }
    }
}
