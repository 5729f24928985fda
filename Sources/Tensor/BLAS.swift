import CBLAS

/// Row-major GEMM (single and double precision), SYRK and thread control over OpenBLAS.
///
/// All matrices are row-major. `sgemm`/`dgemm` compute C ← α·op(A)·op(B) + β·C with
/// op(A): m×k, op(B): k×n, C: m×n; lda/ldb/ldc are the row strides of the matrices as stored.
public enum BLAS {
    @inline(__always)
    public static func sgemm(
        transA: Bool = false, transB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor,
            transA ? CblasTrans : CblasNoTrans,
            transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k),
            alpha, a, Int32(lda), b, Int32(ldb),
            beta, c, Int32(ldc))
    }

    /// Double-precision `sgemm` (the physics distances of Metrics sum kernels and covariances
    /// whose differences are small against their size, so they work in Double).
    @inline(__always)
    public static func dgemm(
        transA: Bool = false, transB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Double = 1,
        a: UnsafePointer<Double>, lda: Int,
        b: UnsafePointer<Double>, ldb: Int,
        beta: Double = 0,
        c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        cblas_dgemm(
            CblasRowMajor,
            transA ? CblasTrans : CblasNoTrans,
            transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k),
            alpha, a, Int32(lda), b, Int32(ldb),
            beta, c, Int32(ldc))
    }

    /// C ← α·AᵀA + β·C for A row-major k×n (k rows of n features), C n×n: only C's upper
    /// triangle is written (half the work of a GEMM); `symmetrize` copies it down.
    @inline(__always)
    public static func dsyrkTransposed(
        n: Int, k: Int, alpha: Double = 1, a: UnsafePointer<Double>, lda: Int,
        beta: Double = 0, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(n), Int32(k), alpha, a, Int32(lda), beta, c, Int32(ldc))
    }

    /// Copies the upper triangle of the row-major n×n matrix `c` to its lower triangle.
    public static func symmetrize(_ c: UnsafeMutablePointer<Double>, n: Int, ldc: Int) {
        for i in 0..<n {
            for j in 0..<i { c[i * ldc + j] = c[j * ldc + i] }
        }
    }

    /// y ← α·op(A)·x + β·y, A row-major m×n.
    @inline(__always)
    public static func sgemv(
        trans: Bool = false, m: Int, n: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, x: UnsafePointer<Float>,
        beta: Float = 0, y: UnsafeMutablePointer<Float>
    ) {
        cblas_sgemv(CblasRowMajor, trans ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), alpha, a, Int32(lda), x, 1, beta, y, 1)
    }

    /// Threads OpenBLAS may use in this process. One thread per worker makes results
    /// bit-reproducible (the summation order of a multi-threaded GEMM may differ).
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }
}
