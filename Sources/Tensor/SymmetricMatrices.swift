import CBLAS

/// Dense symmetric linear algebra in Double over OpenBLAS's LAPACK (`dpstrf`, `dsyevd`), for
/// the small d×d covariance matrices of the physics distances (d = 54). A symmetric matrix
/// reads the same row- or column-major, so these take row-major arrays like the rest of
/// Tensor; where a routine returns a triangular or eigenvector matrix, its row-major meaning
/// is stated. One instance per matrix size keeps the LAPACK workspaces, so repeated calls
/// allocate nothing.
public final class SymmetricMatrices {
    public let n: Int
    private let work: UnsafeMutablePointer<Double>, workCount: Int
    private let iwork: UnsafeMutablePointer<blasint>, iworkCount: Int
    /// The last `factor` call's permutation (0-based).
    public let pivots: UnsafeMutablePointer<Int>
    private let lapackPivots: UnsafeMutablePointer<blasint>

    /// Workspaces for n×n matrices (n ≥ 1), sized by LAPACK's own query for the largest job.
    public init(n: Int) {
        precondition(n >= 1, "SymmetricMatrices: n must be ≥ 1")
        self.n = n
        var size = blasint(n), lwork = blasint(-1), liwork = blasint(-1), info = blasint(0)
        var optimalWork = 0.0, optimalIWork = blasint(0), w = 0.0, a = 0.0
        dsyevd_("V", "U", &size, &a, &size, &w, &optimalWork, &lwork, &optimalIWork, &liwork, &info, 1, 1)
        // The documented minima (1 + 6n + 2n², 3 + 5n) guard a query that answered 0;
        // dpstrf needs 2n.
        workCount = max(Int(optimalWork), 1 + 6 * n + 2 * n * n)
        iworkCount = max(Int(optimalIWork), 3 + 5 * n)
        work = .allocate(capacity: workCount)
        iwork = .allocate(capacity: iworkCount)
        pivots = .allocate(capacity: n)
        lapackPivots = .allocate(capacity: n)
    }

    deinit {
        work.deallocate()
        iwork.deallocate()
        pivots.deallocate()
        lapackPivots.deallocate()
    }

    /// Pivoted Cholesky factorisation of a symmetric positive SEMI-definite `a` (n×n, row
    /// stride n), in place: returns the numerical rank r, and then rows 0..<r of the array hold
    /// an upper-trapezoidal U (zeros left of the diagonal) with Pᵀ·a·P = UᵀU, P the permutation
    /// in `pivots` ((Pᵀ·a·P)[i][j] = a[pivots[i]][pivots[j]]); rows r..<n are unspecified. Pivots
    /// below n·ε·max aₖₖ end the factorisation: a singular matrix (a feature constant in the
    /// sample, or two identical features) gets an exact low-rank factor instead of a failure.
    public func pivotedCholesky(_ a: UnsafeMutablePointer<Double>) -> Int {
        // LAPACK's column-major lower factor L is, read row-major, the upper factor U = Lᵀ.
        var size = blasint(n), rank = blasint(0), info = blasint(0), tolerance = -1.0
        dpstrf_("L", &size, a, &size, lapackPivots, &rank, &tolerance, work, &info, 1)
        let r = info < 0 ? 0 : Int(rank)
        for i in 0..<n { pivots[i] = Int(lapackPivots[i]) - 1 }
        for i in 0..<r {
            for j in 0..<i { a[i * n + j] = 0 }
        }
        return r
    }

    /// The eigenvalues of the symmetric `a`, ascending, into `values` (n of them); `a` is
    /// destroyed. Returns false if LAPACK did not converge.
    public func eigenvalues(_ a: UnsafeMutablePointer<Double>, into values: UnsafeMutablePointer<Double>) -> Bool {
        var size = blasint(n), lwork = blasint(workCount), liwork = blasint(iworkCount), info = blasint(0)
        dsyevd_("N", "U", &size, a, &size, values, work, &lwork, iwork, &liwork, &info, 1, 1)
        return info == 0
    }
}
