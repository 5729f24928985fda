import Tensor

/// 1×1 convolution (stride 1, no padding) over NCHW: per sample s,
///   Y_s (out × P) = W (out × in) · X_s (in × P) + b,   P = H·W,
/// one GEMM per sample on the sample's own memory (no lowering: a 1×1 patch is the pixel).
/// Weight (out, in, 1, 1) as PyTorch's, optionally spectrally normalised; bias per output channel.
/// Backward per sample: ∂L/∂b += Σ_p dY_s, ∂L/∂W += dY_s·X_sᵀ, ∂L/∂X_s = Wᵀ·dY_s.
/// With T > 1 threads the samples are split over the workers, each with private ∂W, ∂b sums
/// added in worker order afterwards (as Conv2d).
public final class Conv1x1: AffineLayer, Layer {
    public let inChannels: Int, outChannels: Int, height: Int, width: Int
    private var workspaces: [ConvWorkspace] = []

    /// PyTorch's default initialisation: W and b ~ U(−1/√in, 1/√in).
    public init(inChannels: Int, outChannels: Int, height: Int, width: Int, maxBatch: Int, store: ParameterStore,
                rng: inout SeededRandom, spectralNorm: Bool = false) {
        self.inChannels = inChannels; self.outChannels = outChannels
        self.height = height; self.width = width
        super.init(weight: LayerWeight(store: store, rows: outChannels, cols: inChannels, spectralNorm: spectralNorm, rng: &rng),
                   output: Tensor(n: maxBatch, c: outChannels, h: height, w: width),
                   inputGradient: Tensor(n: maxBatch, c: inChannels, h: height, w: width))
    }

    public var outputShape: [Int] { [outChannels, height, width] }
    public var inputShape: [Int] { [inChannels, height, width] }
    public var flopsPerSample: LayerFLOPs {
        .affine(rows: outChannels, cols: inChannels, positions: height * width, outputs: outChannels * height * width)
    }
    /// W (out × in) · X_s (in × H·W) per sample.
    public func forwardGEMM(batch: Int) -> GEMMShape? { GEMMShape(m: outChannels, n: height * width, k: inChannels) }

    private func workspaces(_ count: Int) -> [ConvWorkspace] {
        while workspaces.count < count {
            workspaces.append(ConvWorkspace(columns: 0, outputMatrix: 0, weights: outChannels * inChannels,
                                            outChannels: outChannels))
        }
        return Array(workspaces.prefix(count))
    }

    /// x: (n, in, H, W) → (n, out, H, W).
    public func forward(_ x: Tensor, mode: ForwardMode = .training) -> Tensor {
        let n = x.n, pixels = height * width, cin = inChannels, cout = outChannels
        precondition(x.c == inChannels && x.h == height && x.w == width && n <= maxBatch,
                     "Conv1x1: input (\(n), \(x.c), \(x.h), \(x.w)) ≠ (≤\(maxBatch), \(inChannels), \(height), \(width))")
        input = x
        let w = weight.prepare(mode), b = UnsafePointer(weight.store.values(bias))
        let xp = UnsafePointer(x.data), y = output.data
        WorkSplit.run(items: n, workers: WorkSplit.workers(for: n, threads: threads)) { _, samples in
            for s in samples {
                let ys = y + s * cout * pixels
                for o in 0..<cout { (ys + o * pixels).update(repeating: b[o], count: pixels) }
                BLAS.sgemm(m: cout, n: pixels, k: cin, a: w, lda: cin, b: xp + s * cin * pixels, ldb: pixels,
                           beta: 1, c: ys, ldc: pixels)
            }
        }
        return output.withBatch(n)
    }

    /// dOut: (n, out, H, W). Accumulates ∂L/∂W, ∂L/∂b into the store; returns ∂L/∂x.
    public func backward(_ dOut: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("Conv1x1.backward before forward") }
        let n = x.n, pixels = height * width, cin = inChannels, cout = outChannels
        precondition(dOut.n == n && dOut.featureCount == cout * pixels, "Conv1x1.backward: gradient shape")
        let dx = inputGradient.withBatch(n)
        let parameters = computesParameterGradients, inputs = computesInputGradient
        guard parameters || inputs else { return dx }
        let workers = WorkSplit.workers(for: n, threads: threads), spaces = workspaces(workers)
        let w = weight.effective, xp = UnsafePointer(x.data), dy = UnsafePointer(dOut.data), dxp = dx.data
        WorkSplit.run(items: n, workers: workers) { t, samples in
            let ws = spaces[t]
            if parameters { ws.zeroGradients() }
            for s in samples {
                let dys = dy + s * cout * pixels
                if parameters {
                    let db = ws.biasGradient.data
                    for o in 0..<cout {
                        var sum: Float = 0
                        for p in 0..<pixels { sum += dys[o * pixels + p] }
                        db[o] += sum
                    }
                    BLAS.sgemm(transB: true, m: cout, n: cin, k: pixels, a: dys, lda: pixels,
                               b: xp + s * cin * pixels, ldb: pixels, beta: 1, c: ws.weightGradient.data, ldc: cin)
                }
                if inputs {
                    BLAS.sgemm(transA: true, m: cin, n: pixels, k: cout, a: w, lda: cin, b: dys, ldb: pixels,
                               c: dxp + s * cin * pixels, ldc: pixels)
                }
            }
        }
        if parameters {
            let db = weight.store.gradient(bias), (dw, beta) = weight.gradientTarget
            let weights = cout * cin
            if beta == 0 { dw.update(repeating: 0, count: weights) }
            for ws in spaces {
                let pw = ws.weightGradient.data, pb = ws.biasGradient.data
                for i in 0..<weights { dw[i] += pw[i] }
                for o in 0..<cout { db[o] += pb[o] }
            }
            weight.finishGradient()
        }
        return dx
    }
}
