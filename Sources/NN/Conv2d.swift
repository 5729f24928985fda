import Tensor

/// 2-D convolution (cross-correlation, as PyTorch) over NCHW, square kernel, stride, zero
/// padding; weight (out, in, k, k) viewed as the matrix W (out × in·k·k), optionally
/// spectrally normalised; bias per output channel.
///
/// The whole batch is lowered to one GEMM: col = im2col(x) is (in·k·k) × (n·Ho·Wo),
/// Y' = W·col is (out × n·Ho·Wo), then permuted to NCHW with the bias added.
/// Backward: dY' = permute(dY); ∂L/∂W += dY'·colᵀ; dcol = Wᵀ·dY'; ∂L/∂x = col2im(dcol).
/// Scratch (col, Y') is allocated once for `maxBatch` and reused by backward, so each
/// backward must follow its own forward.
public struct Conv2d: @unchecked Sendable {
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
    private let columns: TensorStorage
    private let outputMatrix: TensorStorage
    private var input: Tensor?

    /// PyTorch's default initialisation: W and b ~ U(−1/√(in·k·k), 1/√(in·k·k)).
    public init(_ geometry: ConvGeometry, outChannels: Int, maxBatch: Int, store: ParameterStore,
                rng: inout SeededRandom, spectralNorm: Bool = false) {
        self.geometry = geometry; self.outChannels = outChannels; self.maxBatch = maxBatch
        let fanIn = geometry.patchSize
        weight = LayerWeight(store: store, rows: outChannels, cols: fanIn, spectralNorm: spectralNorm, rng: &rng)
        bias = store.allocateParameters(outChannels)
        fillUniform(store.values(bias), count: outChannels, bound: 1 / Float(fanIn).squareRoot(), rng: &rng)
        output = Tensor(n: maxBatch, c: outChannels, h: geometry.outHeight, w: geometry.outWidth)
        inputGradient = Tensor(n: maxBatch, c: geometry.channels, h: geometry.height, w: geometry.width)
        columns = TensorStorage(capacity: fanIn * maxBatch * geometry.outPixels)
        outputMatrix = TensorStorage(capacity: outChannels * maxBatch * geometry.outPixels)
    }

    public var spectralNorm: SpectralNorm? { weight.spectralNorm }

    /// x: (n, in, H, W) → (n, out, Ho, Wo).
    public mutating func forward(_ x: Tensor, mode: ForwardMode = .training) -> Tensor {
        let g = geometry, n = x.n
        precondition(x.c == g.channels && x.h == g.height && x.w == g.width && n <= maxBatch,
                     "Conv2d: input (\(n), \(x.c), \(x.h), \(x.w)) ≠ (≤\(maxBatch), \(g.channels), \(g.height), \(g.width))")
        input = x
        let w = weight.prepare(mode)
        let pixels = g.outPixels, cols = n * pixels
        Im2Col.im2col(x.data, batch: n, geometry: g, into: columns.data)
        BLAS.sgemm(m: outChannels, n: cols, k: g.patchSize, a: w, lda: g.patchSize,
                   b: columns.data, ldb: cols, c: outputMatrix.data, ldc: cols)
        // Y'[o, s·P + p] + b[o] → y[s, o, p]
        let b = weight.store.values(bias), y = output.data, ym = outputMatrix.data
        for o in 0..<outChannels {
            let bo = b[o]
            for s in 0..<n {
                let src = ym + o * cols + s * pixels, dst = y + (s * outChannels + o) * pixels
                for p in 0..<pixels { dst[p] = src[p] + bo }
            }
        }
        return output.withBatch(n)
    }

    /// dOut: (n, out, Ho, Wo). Accumulates ∂L/∂W, ∂L/∂b into the store; returns ∂L/∂x.
    public mutating func backward(_ dOut: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("Conv2d.backward before forward") }
        let g = geometry, n = x.n, pixels = g.outPixels, cols = n * pixels
        precondition(dOut.n == n && dOut.featureCount == outChannels * pixels, "Conv2d.backward: gradient shape")
        // dY'[o, s·P + p] = dy[s, o, p]; ∂L/∂b[o] = Σ dY'[o, ·]
        let dym = outputMatrix.data, dy = dOut.data, db = weight.store.gradient(bias)
        for o in 0..<outChannels {
            var sum: Float = 0
            for s in 0..<n {
                let src = dy + (s * outChannels + o) * pixels, dst = dym + o * cols + s * pixels
                for p in 0..<pixels { dst[p] = src[p]; sum += src[p] }
            }
            if computesParameterGradients { db[o] += sum }
        }
        if computesParameterGradients {
            let (dw, beta) = weight.gradientTarget
            BLAS.sgemm(transB: true, m: outChannels, n: g.patchSize, k: cols, a: dym, lda: cols,
                       b: columns.data, ldb: cols, beta: beta, c: dw, ldc: g.patchSize)
            weight.finishGradient()
        }
        let dx = inputGradient.withBatch(n)
        if computesInputGradient {
            // dcol = Wᵀ·dY' overwrites col (no longer needed), then col2im.
            BLAS.sgemm(transA: true, m: g.patchSize, n: cols, k: outChannels, a: weight.effective,
                       lda: g.patchSize, b: dym, ldb: cols, c: columns.data, ldc: cols)
            Im2Col.col2im(columns.data, batch: n, geometry: g, into: dx.data)
        }
        return dx
    }
}
