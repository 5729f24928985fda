import Tensor

/// 2-D convolution (cross-correlation, as PyTorch) over NCHW, square kernel, stride, zero
/// padding; weight (out, in, k, k) viewed as the matrix W (out × in·k·k), optionally
/// spectrally normalised; bias per output channel.
///
/// The batch is lowered to GEMMs in chunks of `chunk` samples, sized so the column matrix
/// stays in cache (lowering the whole batch at once streams hundreds of MB through memory
/// and measured up to 2.2× slower in `lipsweep-bench nn`). Per chunk of c samples, P = Ho·Wo:
///   col = im2col(x_chunk): (in·k·k) × (c·P);  Y' = W·col: out × (c·P) → NCHW + bias.
/// Backward per chunk: dY' = permute(dY); ∂L/∂b += row sums; col = im2col(x_chunk) again
/// (recomputing is cheaper than keeping the whole batch's columns); ∂L/∂W += dY'·colᵀ;
/// dcol = Wᵀ·dY'; ∂L/∂x_chunk = col2im(dcol).
public struct Conv2d: @unchecked Sendable {
    /// Default floats of column matrix per chunk; tuned by `lipsweep-bench nn` (its chunk table).
    public static let defaultColumnBudget = 1 << 18
    public let geometry: ConvGeometry
    public let outChannels: Int, maxBatch: Int
    public private(set) var weight: LayerWeight
    public let bias: ParameterSlice
    public let output: Tensor
    public let inputGradient: Tensor
    /// False skips col2im in backward (the first layer, when ∂L/∂x is not needed).
    public var computesInputGradient = true
    /// False skips ∂L/∂W and ∂L/∂b (e.g. D while only G is trained: ∂L/∂x is all that is needed).
    public var computesParameterGradients = true
    /// Samples per GEMM chunk.
    public let chunk: Int
    private let columns: TensorStorage
    private let outputMatrix: TensorStorage
    private var input: Tensor?

    /// PyTorch's default initialisation: W and b ~ U(−1/√(in·k·k), 1/√(in·k·k)).
    public init(_ geometry: ConvGeometry, outChannels: Int, maxBatch: Int, store: ParameterStore,
                rng: inout SeededRandom, spectralNorm: Bool = false,
                columnBudget: Int = Conv2d.defaultColumnBudget) {
        self.geometry = geometry; self.outChannels = outChannels; self.maxBatch = maxBatch
        let fanIn = geometry.patchSize
        weight = LayerWeight(store: store, rows: outChannels, cols: fanIn, spectralNorm: spectralNorm, rng: &rng)
        bias = store.allocateParameters(outChannels)
        fillUniform(store.values(bias), count: outChannels, bound: 1 / Float(fanIn).squareRoot(), rng: &rng)
        output = Tensor(n: maxBatch, c: outChannels, h: geometry.outHeight, w: geometry.outWidth)
        inputGradient = Tensor(n: maxBatch, c: geometry.channels, h: geometry.height, w: geometry.width)
        chunk = max(1, min(maxBatch, columnBudget / (fanIn * geometry.outPixels)))
        columns = TensorStorage(capacity: fanIn * chunk * geometry.outPixels)
        outputMatrix = TensorStorage(capacity: outChannels * chunk * geometry.outPixels)
    }

    public var spectralNorm: SpectralNorm? { weight.spectralNorm }

    /// x: (n, in, H, W) → (n, out, Ho, Wo).
    public mutating func forward(_ x: Tensor, mode: ForwardMode = .training) -> Tensor {
        let g = geometry, n = x.n
        precondition(x.c == g.channels && x.h == g.height && x.w == g.width && n <= maxBatch,
                     "Conv2d: input (\(n), \(x.c), \(x.h), \(x.w)) ≠ (≤\(maxBatch), \(g.channels), \(g.height), \(g.width))")
        input = x
        let w = weight.prepare(mode), b = weight.store.values(bias)
        let pixels = g.outPixels, ym = outputMatrix.data
        for start in stride(from: 0, to: n, by: chunk) {
            let c = min(chunk, n - start), cols = c * pixels
            Im2Col.im2col(x.data + start * g.inputFeatures, batch: c, geometry: g, into: columns.data)
            BLAS.sgemm(m: outChannels, n: cols, k: g.patchSize, a: w, lda: g.patchSize,
                       b: columns.data, ldb: cols, c: ym, ldc: cols)
            // Y'[o, s·P + p] + b[o] → y[start + s, o, p]
            let y = output.data + start * outChannels * pixels
            for o in 0..<outChannels {
                let bo = b[o]
                for s in 0..<c {
                    let src = ym + o * cols + s * pixels, dst = y + (s * outChannels + o) * pixels
                    for p in 0..<pixels { dst[p] = src[p] + bo }
                }
            }
        }
        return output.withBatch(n)
    }

    /// dOut: (n, out, Ho, Wo). Accumulates ∂L/∂W, ∂L/∂b into the store; returns ∂L/∂x.
    public mutating func backward(_ dOut: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("Conv2d.backward before forward") }
        let g = geometry, n = x.n, pixels = g.outPixels
        precondition(dOut.n == n && dOut.featureCount == outChannels * pixels, "Conv2d.backward: gradient shape")
        let dym = outputMatrix.data, db = weight.store.gradient(bias)
        let (dw, firstBeta) = weight.gradientTarget
        let dx = inputGradient.withBatch(n)
        for start in stride(from: 0, to: n, by: chunk) {
            let c = min(chunk, n - start), cols = c * pixels
            // dY'[o, s·P + p] = dy[start + s, o, p]; ∂L/∂b[o] += Σ dY'[o, ·]
            let dy = dOut.data + start * outChannels * pixels
            for o in 0..<outChannels {
                var sum: Float = 0
                for s in 0..<c {
                    let src = dy + (s * outChannels + o) * pixels, dst = dym + o * cols + s * pixels
                    for p in 0..<pixels { dst[p] = src[p]; sum += src[p] }
                }
                if computesParameterGradients { db[o] += sum }
            }
            if computesParameterGradients {
                Im2Col.im2col(x.data + start * g.inputFeatures, batch: c, geometry: g, into: columns.data)
                BLAS.sgemm(transB: true, m: outChannels, n: g.patchSize, k: cols, a: dym, lda: cols,
                           b: columns.data, ldb: cols, beta: start == 0 ? firstBeta : 1, c: dw, ldc: g.patchSize)
            }
            if computesInputGradient {
                // dcol = Wᵀ·dY' overwrites col (no longer needed), then col2im.
                BLAS.sgemm(transA: true, m: g.patchSize, n: cols, k: outChannels, a: weight.effective,
                           lda: g.patchSize, b: dym, ldb: cols, c: columns.data, ldc: cols)
                Im2Col.col2im(columns.data, batch: c, geometry: g, into: dx.data + start * g.inputFeatures)
            }
        }
        if computesParameterGradients { weight.finishGradient() }
        return dx
    }
}
