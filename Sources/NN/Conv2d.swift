import Tensor

/// 2-D convolution (cross-correlation, as PyTorch) over NCHW, square kernel, stride, zero
/// padding; weight (out, in, k, k) viewed as the matrix W (out × in·k·k), optionally
/// spectrally normalised; bias per output channel.
///
/// The batch is lowered in chunks of S samples (`samplesPerChunk`, S·Ho·Wo ≈ `chunkColumns`) so
/// each chunk's column matrix stays in cache: col = im2col(x_chunk) is (in·k·k) × (S·Ho·Wo),
/// Y' = W·col is (out × S·Ho·Wo), permuted to NCHW with the bias added (S = 1 writes NCHW
/// directly: the bias is stored first and the GEMM accumulates onto it).
/// Backward per chunk rebuilds its col in cache (a whole-batch column store kept from forward
/// streamed tens of MB through memory for the same cost, and raised the worker's peak RSS):
/// dY' = permute(dY); ∂L/∂b += Σ dY'; ∂L/∂W += dY'·colᵀ; dcol = Wᵀ·dY' (over col);
/// ∂L/∂x = col2im(dcol). With WorkSplit.threads = T > 1 the chunks are split over T workers
/// (`WorkSplit`), each with single-threaded GEMMs and private ∂L/∂W, ∂L/∂b summed afterwards
/// in worker order. Each backward must follow its own forward.
/// With `activationSlope` set, the layer's output is LeakyReLU(conv + b) (applied in each
/// worker's chunk while it is in cache) and backward first turns ∂L/∂y into ∂L/∂(conv + b).
/// Shapes where the lowering degenerates (3×3, stride 1, one input or one output channel:
/// D.c1, G.c3) run `DirectConv3x3` instead, per sample, with the same worker split and sums.
///
/// `averagePooled`: the layer is Conv3×3 (stride 1, padding 1) followed by 2×2 average pooling
/// (stride 2, floor; a ResNet D block's residual path), computed as ONE 4×4 stride-2 convolution
/// with padding 1 (`lowering`) of the pooled kernel
///   K'[o, c, r, s] = ¼·Σ_{a, b ∈ {0,1}} W[o, c, r − a, s − b]   (terms with r − a or s − b ∉ 0…2 absent),
/// since ¼·Σ_{a,b} Σ_{u,v} W[u, v]·xp[2i+a+u, 2j+b+v] = Σ_{r,s} K'[r, s]·xp[2i+r, 2j+s]: 16 taps
/// at a quarter of the pixels, 16/36 of the multiply-adds, and no full-resolution output.
/// ∂L/∂W folds ∂L/∂K' back: ∂W[o, c, u, v] = ¼·Σ_{a,b} ∂K'[o, c, u + a, v + b]. The parameters
/// (and SN) are the 3×3 kernel's, stored and initialised exactly as without pooling; `geometry`
/// stays the 3×3 convolution's, `output` has the pooled shape.
public final class Conv2d: AffineLayer, Layer {
    /// Default target GEMM column count S·Ho·Wo of one chunk (measured at small's shapes).
    public static let defaultChunkColumns = 1024
    /// Default of the other way to size chunks, `columnBudget` (floats of one chunk's column
    /// matrix): used only when passed explicitly.
    public static let defaultColumnBudget = 1 << 18

    public let geometry: ConvGeometry
    /// The convolution the im2col + GEMM lowering computes: `geometry`, or with
    /// `averagePooled` the 4×4 stride-2 one of the pooled kernel.
    public let lowering: ConvGeometry
    /// Conv3×3 → AvgPool2 fused (see the type's comment).
    public let averagePooled: Bool
    public let outChannels: Int
    /// Fused LeakyReLU of this slope on the output (nil: the plain convolution).
    public var activationSlope: Float? = nil
    /// Samples per chunk (from `chunkColumns` at init; 1 for the direct kernels).
    public let chunk: Int
    /// True when this layer runs `DirectConv3x3` rather than im2col + GEMM.
    public let usesDirectKernel: Bool
    /// ∂x's kernels for the direct path (see `DirectConv3x3.flipKernels`), rebuilt per backward.
    private let flippedKernels: TensorStorage
    private var workspaces: [ConvWorkspace] = []
    /// ∂L/∂(conv + b) when an activation is fused: (maxBatch, out, Ho, Wo).
    private let preActivationGradient: TensorStorage
    /// With `averagePooled`: K' (out × in·16), rebuilt by every forward, and the workers' ∂L/∂K'.
    private let pooledKernel: TensorStorage, pooledKernelGradient: TensorStorage

    /// PyTorch's default initialisation: W and b ~ U(−1/√(in·k·k), 1/√(in·k·k)).
    public init(_ geometry: ConvGeometry, outChannels: Int, maxBatch: Int, store: ParameterStore,
                rng: inout SeededRandom, spectralNorm: Bool = false,
                columnBudget: Int? = nil, chunkColumns: Int = Conv2d.defaultChunkColumns,
                directKernel: Bool = true, averagePooled: Bool = false) {
        precondition(!averagePooled || (geometry.kernel == 3 && geometry.stride == 1 && geometry.padding == 1),
                     "Conv2d: average pooling is fused only into 3×3, stride 1, padding 1 convolutions")
        self.geometry = geometry; self.outChannels = outChannels
        self.averagePooled = averagePooled
        let g = averagePooled
            ? ConvGeometry(channels: geometry.channels, height: geometry.height, width: geometry.width, kernel: 4,
                           stride: 2, padding: 1)
            : geometry
        lowering = g
        let fanIn = geometry.patchSize
        let weight = LayerWeight(store: store, rows: outChannels, cols: fanIn, spectralNorm: spectralNorm, rng: &rng)
        // S from a column budget (floats of col per chunk) when given, else from S·Ho·Wo ≈ chunkColumns.
        usesDirectKernel = directKernel && !averagePooled && DirectConv3x3.supports(geometry, outChannels: outChannels)
        chunk = usesDirectKernel ? 1 : columnBudget.map { max(1, min(maxBatch, $0 / (g.patchSize * g.outPixels))) }
            ?? samplesPerChunk(pixels: g.outPixels, batch: maxBatch, targetColumns: chunkColumns)
        flippedKernels = TensorStorage(capacity: usesDirectKernel ? outChannels * fanIn : 0)
        preActivationGradient = TensorStorage(capacity: maxBatch * outChannels * g.outPixels)
        pooledKernel = TensorStorage(capacity: averagePooled ? outChannels * g.patchSize : 0)
        pooledKernelGradient = TensorStorage(capacity: averagePooled ? outChannels * g.patchSize : 0)
        super.init(weight: weight, output: Tensor(n: maxBatch, c: outChannels, h: g.outHeight, w: g.outWidth),
                   inputGradient: Tensor(n: maxBatch, c: geometry.channels, h: geometry.height, w: geometry.width))
    }

    /// The output's shape (with `averagePooled`, the pooled one).
    public var outputShape: [Int] { [outChannels, output.h, output.w] }
    public var inputShape: [Int] { [geometry.channels, geometry.height, geometry.width] }
    /// The lowering's (with `averagePooled`, the 4×4 pooled kernel's): col2im adds one value
    /// per column entry.
    public var flopsPerSample: LayerFLOPs {
        let g = lowering, outputs = outChannels * g.outPixels
        return LayerFLOPs.affine(rows: outChannels, cols: g.patchSize, positions: g.outPixels, outputs: outputs,
                                 scatter: usesDirectKernel ? 0 : g.patchSize)
            .activated(activationSlope, outputs: outputs)
    }
    /// W (out × in·k·k) · col (in·k·k × S·Ho·Wo) per chunk of S samples; none on the direct path.
    public func forwardGEMM(batch: Int) -> GEMMShape? {
        usesDirectKernel ? nil : GEMMShape(m: outChannels, n: min(chunk, batch) * lowering.outPixels, k: lowering.patchSize)
    }

    /// The first `count` worker scratch areas, created on first use.
    private func workspaces(_ count: Int) -> [ConvWorkspace] {
        while workspaces.count < count {
            workspaces.append(usesDirectKernel
                ? DirectConv3x3.workspace(geometry, outChannels: outChannels)
                : ConvWorkspace(lowering, outChannels: outChannels, chunkColumns: chunk * lowering.outPixels))
        }
        return Array(workspaces.prefix(count))
    }

    /// x: (n, in, H, W) → (n, out, Ho, Wo).
    public func forward(_ x: Tensor, mode: ForwardMode = .training) -> Tensor {
        let g = lowering, n = x.n
        precondition(x.c == g.channels && x.h == g.height && x.w == g.width && n <= maxBatch,
                     "Conv2d: input (\(n), \(x.c), \(x.h), \(x.w)) ≠ (≤\(maxBatch), \(g.channels), \(g.height), \(g.width))")
        input = x
        var w = weight.prepare(mode)
        if averagePooled {
            Conv2d.poolKernels(w, count: outChannels * g.channels, into: pooledKernel.data)
            w = UnsafePointer(pooledKernel.data)
        }
        let b = UnsafePointer(weight.store.values(bias))
        let chunks = (n + chunk - 1) / chunk, workers = WorkSplit.workers(for: chunks, threads: threads)
        let spaces = workspaces(workers), s = chunk, outs = outChannels
        let xp = UnsafePointer(x.data), y = output.data, slope = activationSlope, sampleOutput = outs * g.outPixels
        let direct = usesDirectKernel
        WorkSplit.run(items: chunks, workers: workers) { t, range in
            let samples = range.lowerBound * s..<min(n, range.upperBound * s)
            guard direct else {
                for c in range {
                    let first = c * s
                    Conv2d.forwardChunk(x: xp, samples: first..<min(n, first + s), geometry: g, outChannels: outs,
                                        weight: w, bias: b, slope: slope, output: y, workspace: spaces[t])
                }
                return
            }
            DirectConv3x3.forward(xp, samples: samples, geometry: g, outChannels: outs, weight: w, bias: b,
                                  output: y, workspace: spaces[t])
            if let slope {
                let start = y + samples.lowerBound * sampleOutput
                LeakyActivation.apply(start, count: samples.count * sampleOutput, slope: slope, into: start)
            }
        }
        return output.withBatch(n)
    }

    /// One chunk of samples: y[s] = W·im2col(x[s]) + b, then LeakyReLU of `slope` if given,
    /// while the chunk's output is in cache (the same values as a pass over the whole batch
    /// afterwards, without that pass's trip through memory).
    private static func forwardChunk(x: UnsafePointer<Float>, samples: Range<Int>, geometry g: ConvGeometry,
                                     outChannels: Int, weight w: UnsafePointer<Float>, bias b: UnsafePointer<Float>,
                                     slope: Float?, output y: UnsafeMutablePointer<Float>, workspace ws: ConvWorkspace) {
        let pixels = g.outPixels, count = samples.count, cols = count * pixels, col = ws.columns.data
        Im2Col.im2col(x + samples.lowerBound * g.inputFeatures, batch: count, geometry: g, into: col, padded: ws.padded.data)
        let yChunk = y + samples.lowerBound * outChannels * pixels
        if count == 1 {
            for o in 0..<outChannels { (yChunk + o * pixels).update(repeating: b[o], count: pixels) }
            BLAS.sgemm(m: outChannels, n: pixels, k: g.patchSize, a: w, lda: g.patchSize,
                       b: col, ldb: pixels, beta: 1, c: yChunk, ldc: pixels)
            if let slope { LeakyActivation.apply(yChunk, count: outChannels * pixels, slope: slope, into: yChunk) }
            return
        }
        let ym = ws.outputMatrix.data
        BLAS.sgemm(m: outChannels, n: cols, k: g.patchSize, a: w, lda: g.patchSize,
                   b: col, ldb: cols, c: ym, ldc: cols)
        // y[s, o, p] = act(Y'[o, s·P + p] + b[o])  (act = identity without a slope)
        for o in 0..<outChannels {
            let bo = b[o]
            for s in 0..<count {
                let src = ym + o * cols + s * pixels, dst = yChunk + (s * outChannels + o) * pixels
                if let slope {
                    for p in 0..<pixels { let v = src[p] + bo; dst[p] = v > 0 ? v : slope * v }
                } else {
                    for p in 0..<pixels { dst[p] = src[p] + bo }
                }
            }
        }
    }

    /// dOut: (n, out, Ho, Wo). Accumulates ∂L/∂W, ∂L/∂b into the store; returns ∂L/∂x.
    public func backward(_ dOut: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("Conv2d.backward before forward") }
        let g = lowering, n = x.n
        precondition(dOut.n == n && dOut.featureCount == outChannels * g.outPixels, "Conv2d.backward: gradient shape")
        let dx = inputGradient.withBatch(n)
        let parameters = computesParameterGradients, inputs = computesInputGradient
        guard parameters || inputs else { return dx }
        let chunks = (n + chunk - 1) / chunk, workers = WorkSplit.workers(for: chunks, threads: threads)
        let spaces = workspaces(workers), s = chunk, outs = outChannels
        let w = averagePooled ? UnsafePointer(pooledKernel.data) : weight.effective
        let dxp = dx.data, dOutput = UnsafePointer(dOut.data)
        let slope = activationSlope, y = UnsafePointer(output.data), sampleOutput = outs * g.outPixels
        let dy = slope == nil ? dOutput : UnsafePointer(preActivationGradient.data), dPre = preActivationGradient.data
        let direct = usesDirectKernel
        if direct && inputs {
            DirectConv3x3.flipKernels(w, channels: g.channels, outChannels: outs, into: flippedKernels.data)
        }
        let xp = UnsafePointer(x.data), flipped = UnsafePointer(flippedKernels.data)
        WorkSplit.run(items: chunks, workers: workers) { t, range in
            let ws = spaces[t], samples = range.lowerBound * s..<min(n, range.upperBound * s)
            if parameters { ws.zeroGradients() }
            guard direct else {
                let activation = slope.map { (output: y, slope: $0, preActivation: dPre) }
                for c in range {
                    let first = c * s
                    Conv2d.backwardChunk(x: xp, dOut: dOutput, activation: activation, samples: first..<min(n, first + s),
                                         geometry: g, outChannels: outs, weight: w, parameters: parameters,
                                         inputs: inputs, dx: dxp, workspace: ws)
                }
                return
            }
            if let slope {
                let offset = samples.lowerBound * sampleOutput
                LeakyActivation.gradient(dOutput + offset, output: y + offset, count: samples.count * sampleOutput,
                                         slope: slope, into: dPre + offset)
            }
            DirectConv3x3.backward(xp, dOut: dy, samples: samples, geometry: g, outChannels: outs, flipped: flipped,
                                   parameters: parameters, inputs: inputs, dx: dxp, workspace: ws)
        }
        if parameters {
            // Σ over workers in worker order (one worker: exactly its sums); with pooling into
            // ∂L/∂K' first, then folded onto the 3×3 taps.
            let db = weight.store.gradient(bias), (target, beta) = weight.gradientTarget
            let dw = averagePooled ? pooledKernelGradient.data : target
            let weights = outChannels * g.patchSize
            if beta == 0 || averagePooled { dw.update(repeating: 0, count: weights) }
            for ws in spaces {
                let pw = ws.weightGradient.data, pb = ws.biasGradient.data
                for i in 0..<weights { dw[i] += pw[i] }
                for o in 0..<outChannels { db[o] += pb[o] }
            }
            if averagePooled {
                Conv2d.foldPooledKernelGradient(UnsafePointer(dw), count: outChannels * g.channels, into: target,
                                                accumulate: beta != 0)
            }
            weight.finishGradient()
        }
        return dx
    }

    /// K'[r, s] = ¼·Σ_{a,b ∈ {0,1}} W[r − a, s − b] for each of `count` (out, in) pairs of 3×3
    /// kernels w into 4×4 kernels k.
    static func poolKernels(_ w: UnsafePointer<Float>, count: Int, into k: UnsafeMutablePointer<Float>) {
        for pair in 0..<count {
            let src = w + pair * 9, dst = k + pair * 16
            dst.update(repeating: 0, count: 16)
            for u in 0..<3 { for v in 0..<3 {
                let q = 0.25 * src[u * 3 + v], at = dst + u * 4 + v
                at[0] += q; at[1] += q; at[4] += q; at[5] += q
            } }
        }
    }

    /// The adjoint of `poolKernels`: ∂W[u, v] (+)= ¼·Σ_{a,b} ∂K'[u + a, v + b].
    static func foldPooledKernelGradient(_ dk: UnsafePointer<Float>, count: Int, into dw: UnsafeMutablePointer<Float>,
                                         accumulate: Bool) {
        for pair in 0..<count {
            let src = dk + pair * 16, dst = dw + pair * 9
            for u in 0..<3 { for v in 0..<3 {
                let at = src + u * 4 + v, g = 0.25 * ((at[0] + at[1]) + (at[4] + at[5]))
                dst[u * 3 + v] = accumulate ? dst[u * 3 + v] + g : g
            } }
        }
    }

    /// One chunk's backward into the worker's ∂L/∂W, ∂L/∂b partial sums and dx[samples].
    /// With `activation` (a fused LeakyReLU of output y), ∂L/∂y is first turned into
    /// ∂L/∂(conv + b) = y > 0 ? ∂L/∂y : slope·∂L/∂y, chunk by chunk while it is in cache: for
    /// S = 1 into `preActivation` (the GEMMs read it in place), for S > 1 inside the copy to dY'.
    private static func backwardChunk(x: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
                                      activation: (output: UnsafePointer<Float>, slope: Float,
                                                   preActivation: UnsafeMutablePointer<Float>)?,
                                      samples: Range<Int>, geometry g: ConvGeometry, outChannels: Int,
                                      weight w: UnsafePointer<Float>, parameters: Bool, inputs: Bool,
                                      dx: UnsafeMutablePointer<Float>, workspace ws: ConvWorkspace) {
        let pixels = g.outPixels, count = samples.count, cols = count * pixels
        let col = ws.columns.data, db = ws.biasGradient.data
        let offset = samples.lowerBound * outChannels * pixels
        // dY'[o, s·P + p] = dy[s, o, p] (for S = 1, dy itself); ∂L/∂b[o] += Σ dY'[o, ·]
        let dym: UnsafePointer<Float>
        if count == 1 {
            if let (y, slope, dPre) = activation {
                LeakyActivation.gradient(dOut + offset, output: y + offset, count: outChannels * pixels, slope: slope,
                                         into: dPre + offset)
                dym = UnsafePointer(dPre + offset)
            } else {
                dym = dOut + offset
            }
            if parameters {
                for o in 0..<outChannels {
                    let row = dym + o * pixels
                    var sum: Float = 0
                    for p in 0..<pixels { sum += row[p] }
                    db[o] += sum
                }
            }
        } else {
            let m = ws.outputMatrix.data
            for o in 0..<outChannels {
                var sum: Float = 0
                for s in 0..<count {
                    let at = offset + (s * outChannels + o) * pixels, src = dOut + at, dst = m + o * cols + s * pixels
                    if let (y, slope, _) = activation {
                        let sign = y + at
                        for p in 0..<pixels { let d = sign[p] > 0 ? src[p] : slope * src[p]; dst[p] = d; sum += d }
                    } else {
                        for p in 0..<pixels { dst[p] = src[p]; sum += src[p] }
                    }
                }
                db[o] += sum
            }
            dym = UnsafePointer(m)
        }
        if parameters {
            // The chunk's columns again (cache-resident; keeping the whole batch's columns from
            // forward streamed tens of MB through memory and cost as much as this).
            Im2Col.im2col(x + samples.lowerBound * g.inputFeatures, batch: count, geometry: g, into: col, padded: ws.padded.data)
            BLAS.sgemm(transB: true, m: outChannels, n: g.patchSize, k: cols, a: dym, lda: cols,
                       b: col, ldb: cols, beta: 1, c: ws.weightGradient.data, ldc: g.patchSize)
        }
        if inputs {
            // dcol = Wᵀ·dY' (over the columns, which ∂W no longer needs), then col2im.
            BLAS.sgemm(transA: true, m: g.patchSize, n: cols, k: outChannels, a: w,
                       lda: g.patchSize, b: dym, ldb: cols, c: col, ldc: cols)
            Im2Col.col2im(col, batch: count, geometry: g, into: dx + samples.lowerBound * g.inputFeatures,
                          padded: ws.padded.data)
        }
    }
}
