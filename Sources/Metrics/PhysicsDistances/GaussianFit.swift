import Tensor

/// Mean and covariance (divisor n − 1, as numpy.cov) of a subsample drawn with replacement,
/// given as counts (c_i = times row i of the sample was drawn, Σ c_i = n ≥ 2), in Double.
///
/// Each distinct drawn row enters once, weighted: with s_i = x_i − x̄ (x̄ the whole sample's
/// mean, which keeps the subtraction below free of cancellation),
///     m = Σ c_i·s_i / n,   Σ = (Σ_i c_i·s_i·s_iᵀ − n·m·mᵀ) / (n − 1),   mean = x̄ + m,
/// and Σ_i c_i·s_i·s_iᵀ = WᵀW for the rows w_i = √c_i·s_i, by SYRK. A draw of n from N rows
/// holds only N·(1 − e^(−n/N)) distinct ones (63 % at n = N), so this does a third less work
/// than stacking the n drawn rows.
final class GaussianFit {
    let d: Int
    private let weighted = ScratchBuffer<Double>()

    init(dimension d: Int) { self.d = d }

    /// `sample` N×d row-major, `sampleMean` its column means, `counts` N draw counts.
    func fit(sample: UnsafePointer<Double>, rows: Int, sampleMean: UnsafePointer<Double>, counts: UnsafePointer<Int32>,
             mean: UnsafeMutablePointer<Double>, covariance: UnsafeMutablePointer<Double>) {
        let w = weighted.reserve(rows * d)
        for j in 0..<d { mean[j] = 0 }
        var distinct = 0, n = 0
        for i in 0..<rows where counts[i] > 0 {
            let c = Double(counts[i]), root = c.squareRoot()
            let source = sample + i * d, row = w + distinct * d
            for j in 0..<d {
                let s = source[j] - sampleMean[j]
                mean[j] += c * s
                row[j] = root * s
            }
            distinct += 1
            n += Int(counts[i])
        }
        precondition(n >= 2, "GaussianFit: a covariance needs at least 2 draws")
        BLAS.dsyrkTransposed(n: d, k: distinct, a: w, lda: d, c: covariance, ldc: d)
        let count = Double(n), scale = 1 / Double(n - 1)
        for j in 0..<d { mean[j] /= count }
        for i in 0..<d {
            for j in i..<d {
                covariance[i * d + j] = (covariance[i * d + j] - count * mean[i] * mean[j]) * scale
            }
        }
        BLAS.symmetrize(covariance, n: d, ldc: d)
        for j in 0..<d { mean[j] += sampleMean[j] }
    }
}
