import Tensor

/// Fully connected layer y = x·Wᵀ + b on (n, in) → (n, out); W is (out, in) row-major as in
/// PyTorch, optionally spectrally normalised. Output and input-gradient tensors are
/// preallocated for `maxBatch`; `forward` caches its input for `backward`.
public struct Linear: @unchecked Sendable {
    public let inFeatures: Int, outFeatures: Int, maxBatch: Int
    public private(set) var weight: LayerWeight
    public let bias: ParameterSlice
    public let output: Tensor
    public let inputGradient: Tensor
    /// False skips ∂L/∂x in backward (a first layer whose input needs no gradient).
    public var computesInputGradient = true
    /// False skips ∂L/∂W and ∂L/∂b (e.g. D while only G is trained: ∂L/∂x is all that is needed).
    public var computesParameterGradients = true
    private var input: Tensor?

    /// PyTorch's default initialisation: W and b ~ U(−1/√in, 1/√in).
    public init(_ inFeatures: Int, _ outFeatures: Int, maxBatch: Int, store: ParameterStore,
                rng: inout SeededRandom, spectralNorm: Bool = false) {
        self.inFeatures = inFeatures; self.outFeatures = outFeatures; self.maxBatch = maxBatch
        weight = LayerWeight(store: store, rows: outFeatures, cols: inFeatures, spectralNorm: spectralNorm, rng: &rng)
        bias = store.allocateParameters(outFeatures)
        fillUniform(store.values(bias), count: outFeatures, bound: 1 / Float(inFeatures).squareRoot(), rng: &rng)
        output = Tensor(n: maxBatch, c: outFeatures)
        inputGradient = Tensor(n: maxBatch, c: inFeatures)
    }

    public var spectralNorm: SpectralNorm? { weight.spectralNorm }

    /// x: (n, in) (any (n, c, h, w) with c·h·w = in) → (n, out).
    public mutating func forward(_ x: Tensor, mode: ForwardMode = .training) -> Tensor {
        let n = x.n
        precondition(x.featureCount == inFeatures && n <= maxBatch,
                     "Linear(\(inFeatures)→\(outFeatures)): input \(n)×\(x.featureCount), max batch \(maxBatch)")
        input = x
        let w = weight.prepare(mode), y = output.data, b = weight.store.values(bias)
        for i in 0..<n { (y + i * outFeatures).update(from: b, count: outFeatures) }
        BLAS.sgemm(transB: true, m: n, n: outFeatures, k: inFeatures,
                   a: x.data, lda: inFeatures, b: w, ldb: inFeatures, beta: 1, c: y, ldc: outFeatures)
        return output.withBatch(n)
    }

    /// dOut: (n, out). Accumulates ∂L/∂W, ∂L/∂b into the store; returns ∂L/∂x (n, in).
    public mutating func backward(_ dOut: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("Linear.backward before forward") }
        let n = x.n
        precondition(dOut.n == n && dOut.featureCount == outFeatures, "Linear.backward: gradient shape")
        let dy = dOut.data
        if computesParameterGradients {
            let (dw, beta) = weight.gradientTarget
            // ∂L/∂W (out × in) = dYᵀ · X
            BLAS.sgemm(transA: true, m: outFeatures, n: inFeatures, k: n,
                       a: dy, lda: outFeatures, b: x.data, ldb: inFeatures, beta: beta, c: dw, ldc: inFeatures)
            weight.finishGradient()
            let db = weight.store.gradient(bias)
            for i in 0..<n {
                let row = dy + i * outFeatures
                for o in 0..<outFeatures { db[o] += row[o] }
            }
        }
        let dx = inputGradient.withBatch(n).reshaped(n: n, c: x.c, h: x.h, w: x.w)
        if computesInputGradient {
            // ∂L/∂X (n × in) = dY · W
            BLAS.sgemm(m: n, n: inFeatures, k: outFeatures, a: dy, lda: outFeatures,
                       b: weight.effective, ldb: inFeatures, c: dx.data, ldc: inFeatures)
        }
        return dx
    }
}
