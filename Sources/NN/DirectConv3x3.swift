import Tensor

/// Direct 3×3, stride-1 convolution kernels for the shapes where the im2col + GEMM lowering
/// degenerates: one input channel (D.c1: the GEMM's inner dimension is 9) or one output channel
/// (G.c3: the GEMM is a matrix-vector product). Those GEMMs ran at 3–14 GFLOP/s and im2col
/// copied the input nine times; here each sample is computed in place with 8-wide SIMD rows.
///
/// Every operation is a "valid" 3×3 correlation over zero-padded planes or its adjoint:
///   forward  y[o, i, j]  = b[o] + Σ_c Σ_{u,v} W[o, c, u, v] · xp[c, i+u, j+v]        xp = x padded by p
///   ∂x       dx[c, h, w] = Σ_o Σ_{u,v} W[o, c, 2−u, 2−v] · dyp[o, h+u, w+v]        dyp = dy padded by 2−p
///   ∂W       ∂W[o, c, u, v] += Σ_{i,j} dy[o, i, j] · xp[c, i+u, j+v];   ∂b[o] += Σ_{i,j} dy[o, i, j]
/// Output rows (width ≥ 8) are covered by vectors starting at 0, 8, 16, … and a last one at
/// width − 8 that overlaps its predecessor: a correlation stores the same values twice there;
/// a reduction masks the overlapping lanes. All summation orders are fixed (deterministic).
enum DirectConv3x3 {
    typealias Vector = SIMD8<Float>

    /// Whether `geometry` → `outChannels` is one of the degenerate shapes this handles.
    static func supports(_ g: ConvGeometry, outChannels: Int) -> Bool {
        g.kernel == 3 && g.stride == 1 && g.padding <= 2 && (g.channels == 1 || outChannels == 1)
            && g.outWidth >= Vector.scalarCount && g.width >= Vector.scalarCount
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }

    @inline(__always)
    static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
    }

    /// out[o, i, j] = bias[o] + Σ_c Σ_{u,v} kernels[(o·channels + c)·9 + 3u + v] · input[c·planeStride + (i+u)·rowStride + j+v]
    /// for i < outHeight, j < outWidth; out is dense (outChannels × outHeight × outWidth).
    /// `input` rows must hold outWidth + 2 readable floats.
    static func correlate(_ input: UnsafePointer<Float>, channels: Int, rowStride: Int, planeStride: Int,
                          kernels: UnsafePointer<Float>, outChannels: Int, bias: UnsafePointer<Float>?,
                          into output: UnsafeMutablePointer<Float>, outHeight: Int, outWidth: Int) {
        let lanes = Vector.scalarCount, last = outWidth - lanes
        if channels == 1 {
            // One input plane (D.c1 forward, G.c3 ∂x): the 9 taps stay in registers per output channel.
            for o in 0..<outChannels {
                let start = Vector(repeating: bias?[o] ?? 0), k = kernels + o * 9, plane = output + o * outHeight * outWidth
                let k0 = Vector(repeating: k[0]), k1 = Vector(repeating: k[1]), k2 = Vector(repeating: k[2])
                let k3 = Vector(repeating: k[3]), k4 = Vector(repeating: k[4]), k5 = Vector(repeating: k[5])
                let k6 = Vector(repeating: k[6]), k7 = Vector(repeating: k[7]), k8 = Vector(repeating: k[8])
                for i in 0..<outHeight {
                    let r0 = input + i * rowStride, r1 = r0 + rowStride, r2 = r1 + rowStride, row = plane + i * outWidth
                    var j = 0
                    while true {
                        let column = min(j, last)
                        var acc = start + k0 * load(r0 + column) + k1 * load(r0 + column + 1) + k2 * load(r0 + column + 2)
                        acc += k3 * load(r1 + column) + k4 * load(r1 + column + 1) + k5 * load(r1 + column + 2)
                        acc += k6 * load(r2 + column) + k7 * load(r2 + column + 1) + k8 * load(r2 + column + 2)
                        store(acc, row + column)
                        if column == last { break }
                        j += lanes
                    }
                }
            }
            return
        }
        for o in 0..<outChannels {
            let start = Vector(repeating: bias?[o] ?? 0)
            let kernel = kernels + o * channels * 9, plane = output + o * outHeight * outWidth
            for i in 0..<outHeight {
                var j = 0
                while true {
                    let column = min(j, last)
                    var acc = start
                    for c in 0..<channels {
                        let k = kernel + c * 9, r0 = input + c * planeStride + i * rowStride + column
                        let r1 = r0 + rowStride, r2 = r1 + rowStride
                        acc += Vector(repeating: k[0]) * load(r0) + Vector(repeating: k[1]) * load(r0 + 1)
                            + Vector(repeating: k[2]) * load(r0 + 2)
                        acc += Vector(repeating: k[3]) * load(r1) + Vector(repeating: k[4]) * load(r1 + 1)
                            + Vector(repeating: k[5]) * load(r1 + 2)
                        acc += Vector(repeating: k[6]) * load(r2) + Vector(repeating: k[7]) * load(r2 + 1)
                            + Vector(repeating: k[8]) * load(r2 + 2)
                    }
                    store(acc, plane + i * outWidth + column)
                    if column == last { break }
                    j += lanes
                }
            }
        }
    }

    /// kernelGradient[(o·channels + c)·9 + 3u + v] += Σ_{i,j} dOut[o, i, j] · input[c, i+u, j+v]
    /// (input addressed as in `correlate`); biasGradient[o] += Σ_{i,j} dOut[o, i, j] when given.
    static func accumulateKernelGradient(input: UnsafePointer<Float>, channels: Int, rowStride: Int, planeStride: Int,
                                         dOut: UnsafePointer<Float>, outChannels: Int, outHeight: Int, outWidth: Int,
                                         kernelGradient: UnsafeMutablePointer<Float>,
                                         biasGradient: UnsafeMutablePointer<Float>?) {
        let lanes = Vector.scalarCount, last = outWidth - lanes
        // The last vector's lanes that its predecessor already covered count zero.
        let overlap = (lanes - outWidth % lanes) % lanes
        var tailMask = Vector(repeating: 1)
        for l in 0..<overlap { tailMask[l] = 0 }
        for o in 0..<outChannels {
            let dPlane = dOut + o * outHeight * outWidth
            if let biasGradient {
                var sum = Vector()
                for i in 0..<outHeight {
                    var j = 0
                    while true {
                        let column = min(j, last)
                        let d = load(dPlane + i * outWidth + column)
                        sum += column == j ? d : d * tailMask
                        if column == last { break }
                        j += lanes
                    }
                }
                biasGradient[o] += sum.sum()
            }
            for c in 0..<channels {
                let g = kernelGradient + (o * channels + c) * 9
                for u in 0..<3 {
                    var a0 = Vector(), a1 = Vector(), a2 = Vector()
                    for i in 0..<outHeight {
                        let dRow = dPlane + i * outWidth, xRow = input + c * planeStride + (i + u) * rowStride
                        var j = 0
                        while true {
                            let column = min(j, last)
                            var d = load(dRow + column)
                            if column != j { d *= tailMask }
                            let x = xRow + column
                            a0 += d * load(x); a1 += d * load(x + 1); a2 += d * load(x + 2)
                            if column == last { break }
                            j += lanes
                        }
                    }
                    g[3 * u] += a0.sum(); g[3 * u + 1] += a1.sum(); g[3 * u + 2] += a2.sum()
                }
            }
        }
    }

    /// Copies `planes` dense height×width planes into the interior (offset `border` rows and
    /// columns) of planes of (height + 2·border) × (width + 2·border); the border is left as
    /// it is (zero: nothing else writes there).
    static func pad(_ x: UnsafePointer<Float>, planes: Int, height: Int, width: Int, border: Int,
                    into padded: UnsafeMutablePointer<Float>) {
        let stride = width + 2 * border, plane = (height + 2 * border) * stride
        for c in 0..<planes {
            for i in 0..<height {
                (padded + c * plane + (i + border) * stride + border).update(from: x + (c * height + i) * width, count: width)
            }
        }
    }

    /// flipped[(c·outChannels + o)·9 + t] = w[(o·channels + c)·9 + 8 − t]: the kernels of ∂x
    /// (input and output channels swapped, taps rotated by 180°).
    static func flipKernels(_ w: UnsafePointer<Float>, channels: Int, outChannels: Int,
                            into flipped: UnsafeMutablePointer<Float>) {
        for o in 0..<outChannels {
            for c in 0..<channels {
                for t in 0..<9 { flipped[(c * outChannels + o) * 9 + t] = w[(o * channels + c) * 9 + 8 - t] }
            }
        }
    }
}

extension DirectConv3x3 {
    /// Scratch of one worker: the zero-bordered planes of x (padding p) and of dy (padding
    /// 2 − p, the ∂x correlation's input), and private ∂W, ∂b sums.
    static func workspace(_ g: ConvGeometry, outChannels: Int) -> ConvWorkspace {
        let q = 2 - g.padding
        return ConvWorkspace(columns: 0, outputMatrix: outChannels * (g.outHeight + 2 * q) * (g.outWidth + 2 * q),
                             weights: outChannels * g.patchSize, outChannels: outChannels, padded: Im2Col.scratchCount(g))
    }

    /// x[s] (s ∈ `samples`, NCHW from `x`) → y[s] = W ⋆ pad(x[s]) + b.
    static func forward(_ x: UnsafePointer<Float>, samples: Range<Int>, geometry g: ConvGeometry, outChannels: Int,
                        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, output y: UnsafeMutablePointer<Float>,
                        workspace ws: ConvWorkspace) {
        let p = g.padding, rowStride = g.width + 2 * p, planeStride = (g.height + 2 * p) * rowStride
        for s in samples {
            var input = x + s * g.inputFeatures
            if p > 0 {
                pad(input, planes: g.channels, height: g.height, width: g.width, border: p, into: ws.padded.data)
                input = UnsafePointer(ws.padded.data)
            }
            correlate(input, channels: g.channels, rowStride: rowStride, planeStride: planeStride,
                      kernels: weight, outChannels: outChannels, bias: bias,
                      into: y + s * outChannels * g.outPixels, outHeight: g.outHeight, outWidth: g.outWidth)
        }
    }

    /// Backward of samples `samples`: the worker's ∂W, ∂b sums (when `parameters`) and dx[s]
    /// (when `inputs`, from the rotated, transposed kernels `flipped`).
    static func backward(_ x: UnsafePointer<Float>, dOut dy: UnsafePointer<Float>, samples: Range<Int>,
                         geometry g: ConvGeometry, outChannels: Int, flipped: UnsafePointer<Float>,
                         parameters: Bool, inputs: Bool, dx: UnsafeMutablePointer<Float>, workspace ws: ConvWorkspace) {
        let p = g.padding, q = 2 - p, ho = g.outHeight, wo = g.outWidth
        let rowStride = g.width + 2 * p, planeStride = (g.height + 2 * p) * rowStride
        for s in samples {
            let dys = dy + s * outChannels * g.outPixels
            if parameters {
                var input = x + s * g.inputFeatures
                if p > 0 {
                    pad(input, planes: g.channels, height: g.height, width: g.width, border: p, into: ws.padded.data)
                    input = UnsafePointer(ws.padded.data)
                }
                accumulateKernelGradient(input: input, channels: g.channels, rowStride: rowStride, planeStride: planeStride,
                                         dOut: dys, outChannels: outChannels, outHeight: ho, outWidth: wo,
                                         kernelGradient: ws.weightGradient.data, biasGradient: ws.biasGradient.data)
            }
            if inputs {
                var gradient = dys
                if q > 0 {
                    pad(dys, planes: outChannels, height: ho, width: wo, border: q, into: ws.outputMatrix.data)
                    gradient = UnsafePointer(ws.outputMatrix.data)
                }
                let dyStride = wo + 2 * q
                correlate(gradient, channels: outChannels, rowStride: dyStride, planeStride: (ho + 2 * q) * dyStride,
                          kernels: flipped, outChannels: g.channels, bias: nil,
                          into: dx + s * g.inputFeatures, outHeight: g.height, outWidth: g.width)
            }
        }
    }
}
