import Tensor

/// The Fréchet distance of two Gaussians (docs/science.md §6.1),
///     FD = ‖μ₁ − μ₂‖² + Tr Σ₁ + Tr Σ₂ − 2·Tr((Σ₁Σ₂)^½),
/// with Tr((Σ₁Σ₂)^½) = Σ_k √λ_k(Σ₁Σ₂). For any factor A with Σ₁ = AᵀA, Σ₁Σ₂ = Aᵀ(AΣ₂) has the
/// non-zero eigenvalues of the symmetric positive semi-definite M = AΣ₂Aᵀ (AB and BA share
/// them). A is the pivoted Cholesky factor of Σ₁ (LAPACK dpstrf: Pᵀ·Σ₁·P = UᵀU, A = U·Pᵀ, r × d
/// for the numerical rank r), so M = U·(Pᵀ·Σ₂·P)·Uᵀ is r × r, and Tr((Σ₁Σ₂)^½) = Σ_k √max(λ_k(M), 0)
/// (eigenvalues rounded below 0 count as 0).
///
/// Singular covariances. A feature constant in the real sample (or two features equal in every
/// event — the sparsity levels below the readout threshold are) makes Σ₁ singular. The pivoted
/// factorisation stops at the numerical rank (pivots below d·ε·max Σₖₖ) and so uses Σ₁ as it
/// is: the Fréchet distance — the 2-Wasserstein distance of the two Gaussians — is defined for
/// degenerate Gaussians, and nothing is added to the diagonals. jetnet instead takes scipy's
/// `sqrtm(Σ₁Σ₂)` and, only if that is not finite, adds 1e-6 to both diagonals (a change of up
/// to ~1e-3 of a degenerate feature's spread). No NaN can arise: a square root sees only
/// values ≥ 0. All buffers are allocated once for dimension d.
final class FrechetDistance {
    let d: Int
    private let lapack: SymmetricMatrices
    private var reduced: [Int: SymmetricMatrices] = [:]
    private let factor: UnsafeMutablePointer<Double>, permuted: UnsafeMutablePointer<Double>
    private let product: UnsafeMutablePointer<Double>, m: UnsafeMutablePointer<Double>
    private let values: UnsafeMutablePointer<Double>

    init(dimension d: Int) {
        precondition(d >= 1)
        self.d = d
        lapack = SymmetricMatrices(n: d)
        factor = .allocate(capacity: d * d); permuted = .allocate(capacity: d * d)
        product = .allocate(capacity: d * d); m = .allocate(capacity: d * d)
        values = .allocate(capacity: d)
    }

    deinit {
        for p in [factor, permuted, product, m, values] { p.deallocate() }
    }

    /// FD of N(mean1, cov1) and N(mean2, cov2) (d-vectors, d×d row-major). nil only if LAPACK's
    /// eigenvalue iteration fails to converge.
    func distance(mean1: UnsafePointer<Double>, covariance1: UnsafePointer<Double>,
                  mean2: UnsafePointer<Double>, covariance2: UnsafePointer<Double>) -> Double? {
        var meanTerm = 0.0, traces = 0.0
        for j in 0..<d {
            let diff = mean1[j] - mean2[j]
            meanTerm += diff * diff
            traces += covariance1[j * d + j] + covariance2[j * d + j]
        }
        guard let root = traceOfRoot(covariance1, covariance2) else { return nil }
        return meanTerm + traces - 2 * root
    }

    /// Tr((Σ₁Σ₂)^½) through the pivoted Cholesky factor of Σ₁.
    private func traceOfRoot(_ c1: UnsafePointer<Double>, _ c2: UnsafePointer<Double>) -> Double? {
        factor.update(from: c1, count: d * d)
        let r = lapack.pivotedCholesky(factor)
        guard r > 0 else { return 0 }  // Σ₁ = 0: Σ₁Σ₂ = 0
        let piv = lapack.pivots
        for i in 0..<d {
            for j in 0..<d { permuted[i * d + j] = c2[piv[i] * d + piv[j]] }
        }
        // product = (PᵀΣ₂P)·U_rᵀ (d × r), then M = U_r·product (r × r); U_r = rows 0..<r of `factor`.
        BLAS.dgemm(transB: true, m: d, n: r, k: d, a: permuted, lda: d, b: factor, ldb: d, c: product, ldc: r)
        BLAS.dgemm(m: r, n: r, k: d, a: factor, lda: d, b: product, ldb: r, c: m, ldc: r)
        let solver = r == d ? lapack : solver(size: r)
        guard solver.eigenvalues(m, into: values) else { return nil }
        var sum = 0.0
        for k in 0..<r { sum += max(values[k], 0).squareRoot() }
        return sum
    }

    /// LAPACK workspaces for an r × r eigenproblem, kept per size met.
    private func solver(size r: Int) -> SymmetricMatrices {
        if let s = reduced[r] { return s }
        let s = SymmetricMatrices(n: r)
        reduced[r] = s
        return s
    }
}
