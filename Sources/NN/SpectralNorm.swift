import Tensor

/// How a layer's forward pass treats spectral normalisation.
public enum ForwardMode: Sendable, Equatable {
    /// Training call: one power-iteration step updates the persistent u, v, then σ = uᵀWv.
    case training
    /// Evaluation: σ = uᵀWv with the current u, v, which are left unchanged.
    case evaluation
}

/// Spectral normalisation (Miyato et al. 2018; docs/science.md §5.1) of a weight viewed as a
/// rows × cols matrix W (a conv kernel (out, in, k, k) is (out, in·k·k)).
///
/// Forward: W̄ = W/σ with σ = uᵀWv, where a training call first does one power-iteration step
///   v ← normalize(Wᵀu),  u ← normalize(Wv)
/// with u, v persistent (store buffers, so they are checkpointed).
/// Backward: u, v are constants but σ's dependence on W is kept (as PyTorch's spectral_norm):
///   with G = ∂L/∂W̄,  ∂L/∂W = (G − ⟨G, W̄⟩·u vᵀ) / σ.
public struct SpectralNorm: @unchecked Sendable {
    public let store: ParameterStore
    public let weight: ParameterSlice
    public let rows: Int, cols: Int
    /// Left (rows) and right (cols) singular-vector estimates, in `store.buffers`.
    public let u: ParameterSlice, v: ParameterSlice
    /// W̄ = W/σ, refreshed by `refresh(_:)`; the layer computes with this.
    public let normalizedWeight: TensorStorage
    /// Where the layer writes G = ∂L/∂W̄ before calling `accumulateGradient()`.
    public let normalizedGradient: TensorStorage
    private let wv: TensorStorage
    /// σ of the last `refresh`.
    public private(set) var sigma: Float = 1

    /// u and v start as normalised N(0, 1) draws; `warmUpIterations` power-iteration steps
    /// follow (PyTorch does 15 when the parametrisation is registered). W must already hold
    /// its initial values.
    public init(store: ParameterStore, weight: ParameterSlice, rows: Int, cols: Int,
                rng: inout SeededRandom, warmUpIterations: Int = 15) {
        precondition(rows * cols == weight.count, "spectral norm: \(rows)×\(cols) ≠ \(weight.count) weights")
        self.store = store; self.weight = weight; self.rows = rows; self.cols = cols
        u = store.allocateBuffer(rows)
        v = store.allocateBuffer(cols)
        normalizedWeight = TensorStorage(capacity: rows * cols)
        normalizedGradient = TensorStorage(capacity: rows * cols)
        wv = TensorStorage(capacity: rows)
        rng.fillNormal(.init(start: store.buffer(u), count: rows))
        rng.fillNormal(.init(start: store.buffer(v), count: cols))
        Self.normalize(store.buffer(u), rows)
        Self.normalize(store.buffer(v), cols)
        powerIterate(steps: warmUpIterations)
        refresh(.evaluation)
    }

    /// x ← x / max(‖x‖, 1e-12) (F.normalize's eps).
    @inline(__always)
    static func normalize(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
        var s = 0.0
        for i in 0..<n { s += Double(x[i]) * Double(x[i]) }
        let scale = Float(1 / max(s.squareRoot(), 1e-12))
        for i in 0..<n { x[i] *= scale }
    }

    /// `steps` updates v ← normalize(Wᵀu), u ← normalize(Wv) in float32; W̄ is not refreshed.
    public func powerIterate(steps: Int) {
        let w = store.values(weight), uu = store.buffer(u), vv = store.buffer(v)
        for _ in 0..<steps {
            BLAS.sgemv(trans: true, m: rows, n: cols, a: w, lda: cols, x: uu, y: vv)
            Self.normalize(vv, cols)
            BLAS.sgemv(m: rows, n: cols, a: w, lda: cols, x: vv, y: uu)
            Self.normalize(uu, rows)
        }
    }

    /// One power-iteration step when `mode == .training`; then σ = uᵀWv and W̄ = W/σ.
    public mutating func refresh(_ mode: ForwardMode) {
        if mode == .training { powerIterate(steps: 1) }
        let w = store.values(weight), uu = store.buffer(u)
        BLAS.sgemv(m: rows, n: cols, a: w, lda: cols, x: store.buffer(v), y: wv.data)
        var s = 0.0
        for i in 0..<rows { s += Double(uu[i]) * Double(wv.data[i]) }
        sigma = Float(s)
        let inv = 1 / sigma, bar = normalizedWeight.data
        for i in 0..<(rows * cols) { bar[i] = w[i] * inv }
    }

    /// ∂L/∂W += (G − ⟨G, W̄⟩·u vᵀ)/σ with G read from `normalizedGradient`.
    public func accumulateGradient() {
        let g = normalizedGradient.data, bar = normalizedWeight.data
        var inner = 0.0
        for i in 0..<(rows * cols) { inner += Double(g[i]) * Double(bar[i]) }
        let dot = Float(inner), inv = 1 / sigma
        let dw = store.gradient(weight), uu = store.buffer(u), vv = store.buffer(v)
        for i in 0..<rows {
            let ui = dot * uu[i], gRow = g + i * cols, dRow = dw + i * cols
            for j in 0..<cols { dRow[j] += (gRow[j] - ui * vv[j]) * inv }
        }
    }

    /// Largest singular value of a rows × cols row-major matrix by double-precision power
    /// iteration on WᵀW from a fixed start, until σ changes by less than `tolerance`
    /// (relative) between iterations. For the Lipschitz bound of a network without SN.
    public static func largestSingularValue(of w: UnsafePointer<Float>, rows: Int, cols: Int,
                                            tolerance: Double = 1e-10, maxIterations: Int = 100_000) -> Double {
        var rng = SeededRandom(seed: 0x5EED)
        var x = (0..<cols).map { _ in rng.normal() }
        var y = [Double](repeating: 0, count: rows)
        var sigma = 0.0
        for _ in 0..<maxIterations {
            var nx = 0.0
            for j in 0..<cols { nx += x[j] * x[j] }
            nx = nx.squareRoot()
            guard nx > 0 else { return 0 }
            for j in 0..<cols { x[j] /= nx }
            // y = W x, σ ≈ ‖W x‖ for unit x; x ← Wᵀ y.
            var ny = 0.0
            for i in 0..<rows {
                var s = 0.0
                let row = w + i * cols
                for j in 0..<cols { s += Double(row[j]) * x[j] }
                y[i] = s; ny += s * s
            }
            let next = ny.squareRoot()
            for j in 0..<cols { x[j] = 0 }
            for i in 0..<rows {
                let row = w + i * cols, yi = y[i]
                for j in 0..<cols { x[j] += Double(row[j]) * yi }
            }
            if abs(next - sigma) <= tolerance * next { return next }
            sigma = next
        }
        return sigma
    }
}

/// A layer's weight matrix W (rows × cols), plain or spectrally normalised, and its bias
/// (rows): the shared part of Linear, Conv2d, Conv1x1 and UpsampleConv2d (`AffineLayer`).
public struct LayerWeight: @unchecked Sendable {
    public let store: ParameterStore
    public let slice: ParameterSlice
    public let bias: ParameterSlice
    public let rows: Int, cols: Int
    public var spectralNorm: SpectralNorm?

    /// PyTorch's default initialisation: W and b ~ U(−1/√cols, 1/√cols) (kaiming_uniform with
    /// a = √5, and the fan-in bound for b). Store order and draws: W, its SN's u and v, then b.
    init(store: ParameterStore, rows: Int, cols: Int, spectralNorm: Bool, rng: inout SeededRandom) {
        self.store = store; self.rows = rows; self.cols = cols
        let bound = 1 / Float(cols).squareRoot()
        slice = store.allocateParameters(rows * cols)
        fillUniform(store.values(slice), count: rows * cols, bound: bound, rng: &rng)
        self.spectralNorm = spectralNorm
            ? SpectralNorm(store: store, weight: slice, rows: rows, cols: cols, rng: &rng) : nil
        bias = store.allocateParameters(rows)
        fillUniform(store.values(bias), count: rows, bound: bound, rng: &rng)
    }

    /// W then b, as views into the store.
    public var parameters: LayerParameters { LayerParameters(store: store, slices: [slice, bias]) }

    /// The matrix the forward pass uses: W̄ = W/σ under SN (refreshed per `mode`), else W.
    mutating func prepare(_ mode: ForwardMode) -> UnsafePointer<Float> {
        guard spectralNorm != nil else { return UnsafePointer(store.values(slice)) }
        spectralNorm!.refresh(mode)
        return UnsafePointer(spectralNorm!.normalizedWeight.data)
    }

    /// The matrix of the last `prepare`, for the backward pass.
    var effective: UnsafePointer<Float> {
        UnsafePointer(spectralNorm?.normalizedWeight.data ?? store.values(slice))
    }

    /// Where backward's GEMM writes ∂L/∂(effective weight), and its β: accumulate straight
    /// into the store's gradient (β = 1) without SN, else overwrite G (β = 0) for `finish()`.
    var gradientTarget: (pointer: UnsafeMutablePointer<Float>, beta: Float) {
        if let sn = spectralNorm { return (sn.normalizedGradient.data, 0) }
        return (store.gradient(slice), 1)
    }

    func finishGradient() { spectralNorm?.accumulateGradient() }
}

/// U(−bound, bound) draws.
func fillUniform(_ p: UnsafeMutablePointer<Float>, count: Int, bound: Float, rng: inout SeededRandom) {
    for i in 0..<count { p[i] = Float(rng.uniform(-Double(bound), Double(bound))) }
}
