import Tensor

/// KPD and KID (Kansal et al. 2023; Bińkowski et al. 2018; docs/science.md §6.1), as jetnet's
/// `kpd`: for each of `batches` draws, m = min(batch size, N_real, N_generated) rows of each
/// sample uniformly with replacement, the unbiased MMD² estimate
///     MMD² = Σ_{a≠b} k(x_a, x_b)/(m(m−1)) + Σ_{a≠b} k(y_a, y_b)/(m(m−1)) − 2·Σ_{a,b} k(x_a, y_b)/m²
/// with the polynomial kernel k(x, y) = (x·y/d + 1)^p, p = 4 (KPD) and p = 3 (KID, computed
/// from the same products x·y); the result is the median over the draws and the error half
/// the 16.275–83.725 % inter-quantile range (`DistanceEstimate.summary`).
///
/// How the sums are formed. A draw with replacement is a count vector c (c_i = times row i was
/// drawn), and a sum over the subsample's pairs is a quadratic form of the FULL kernel matrix:
///     Σ_{a≠b} k(x_a, x_b) = cᵀ·K_xx·c − Σ_i c_i·k(x_i, x_i),    Σ_{a,b} k(x_a, y_b) = cᵀ·K_xy·c′.
/// So the Gram matrices X·Xᵀ, Y·Yᵀ, X·Yᵀ are computed ONCE for all draws (by GEMM, in row blocks
/// of `blockRows`, only the upper half of the symmetric ones), each block is raised to both
/// powers and multiplied by the matrix of all draws' count vectors (GEMM again). This gives the
/// very estimates of drawing the subsamples one by one, for about a tenth of the work when
/// m = N, and never holds more than one block of the N×N matrices.
///
/// Precision. MMD² is a difference of means of size ~1 that can be 1e-6 or less, so the kernel
/// values and every sum over them are Double. The products x·y alone come from a Float GEMM
/// (twice as fast): the inputs are Float physics features anyway, and a product's rounding
/// (~1e-7 relative, unbiased) averages out over the N² terms of each mean; the diagonal terms
/// subtracted are taken from the same products, so they cancel exactly.
final class KernelPhysicsDistance {
    let d: Int
    /// Rows of the Gram matrix per block (the block buffers hold blockRows × N Doubles).
    static let blockRows = 64
    private let gram = ScratchBuffer<Float>()
    private let quartic = ScratchBuffer<Double>(), cubic = ScratchBuffer<Double>()
    private let realCounts = ScratchBuffer<Double>(), generatedCounts = ScratchBuffer<Double>()
    private let projectedCubic = ScratchBuffer<Double>(), projectedQuartic = ScratchBuffer<Double>()

    init(dimension d: Int) { self.d = d }

    /// (KPD, KID) of `generated` against `real` (both scaled, row-major, d columns).
    func estimate(real: UnsafePointer<Float>, realRows: Int, generated: UnsafePointer<Float>, generatedRows: Int,
                  batches: Int, batchSize: Int, random: inout SeededRandom) -> (kpd: DistanceEstimate, kid: DistanceEstimate) {
        let m = min(batchSize, realRows, generatedRows)
        let cx = realCounts.reserve(realRows * batches), cy = generatedCounts.reserve(generatedRows * batches)
        cx.initialize(repeating: 0, count: realRows * batches)
        cy.initialize(repeating: 0, count: generatedRows * batches)
        for b in 0..<batches {
            for _ in 0..<m { cx[random.index(below: realRows) * batches + b] += 1 }
            for _ in 0..<m { cy[random.index(below: generatedRows) * batches + b] += 1 }
        }
        var xx3 = [Double](repeating: 0, count: batches), xx4 = xx3, yy3 = xx3, yy4 = xx3, xy3 = xx3, xy4 = xx3
        selfSums(real, rows: realRows, counts: cx, batches: batches, cubic: &xx3, quartic: &xx4)
        selfSums(generated, rows: generatedRows, counts: cy, batches: batches, cubic: &yy3, quartic: &yy4)
        crossSums(real, rows: realRows, counts: cx, generated, rows: generatedRows, counts: cy, batches: batches,
                  cubic: &xy3, quartic: &xy4)
        let within = Double(m) * Double(m - 1), across = Double(m) * Double(m)
        let kid = (0..<batches).map { xx3[$0] / within + yy3[$0] / within - 2 * xy3[$0] / across }
        let kpd = (0..<batches).map { xx4[$0] / within + yy4[$0] / within - 2 * xy4[$0] / across }
        return (DistanceEstimate.summary(of: kpd), DistanceEstimate.summary(of: kid))
    }

    /// Σ_{ij} c_i c_j k(x_i, x_j) − Σ_i c_i k(x_i, x_i) per draw, for p = 3 and 4. Block of rows
    /// R = [r0, r1) against columns [r0, n): the square part [r0, r1) counts once (it holds both
    /// (i, j) and (j, i)), the columns beyond r1 twice (their mirror images are never formed).
    private func selfSums(_ x: UnsafePointer<Float>, rows n: Int, counts c: UnsafeMutablePointer<Double>, batches: Int,
                          cubic s3: inout [Double], quartic s4: inout [Double]) {
        var r0 = 0
        while r0 < n {
            let r1 = min(r0 + Self.blockRows, n), rows = r1 - r0, columns = n - r0
            let (k3, k4) = kernelBlock(x + r0 * d, rows: rows, against: x + r0 * d, columns: columns)
            let t3 = projectedCubic.reserve(rows * batches), t4 = projectedQuartic.reserve(rows * batches)
            func project(_ k: UnsafeMutablePointer<Double>, into t: UnsafeMutablePointer<Double>) {
                BLAS.dgemm(m: rows, n: batches, k: rows, a: k, lda: columns, b: c + r0 * batches, ldb: batches,
                           c: t, ldc: batches)
                if columns > rows {
                    BLAS.dgemm(m: rows, n: batches, k: columns - rows, alpha: 2, a: k + rows, lda: columns,
                               b: c + r1 * batches, ldb: batches, beta: 1, c: t, ldc: batches)
                }
            }
            project(k3, into: t3)
            project(k4, into: t4)
            accumulate(c + r0 * batches, t3, t4, rows: rows, batches: batches, cubic: &s3, quartic: &s4)
            // The subsample's diagonal pairs (a = b): k(x_i, x_i) once per draw of row i, from
            // the block's own diagonal.
            for i in 0..<rows {
                let k3ii = k3[i * columns + i], k4ii = k4[i * columns + i], counts = c + (r0 + i) * batches
                for b in 0..<batches {
                    s3[b] -= counts[b] * k3ii
                    s4[b] -= counts[b] * k4ii
                }
            }
            r0 = r1
        }
    }

    /// Σ_{ij} c_i c′_j k(x_i, y_j) per draw, for p = 3 and 4.
    private func crossSums(_ x: UnsafePointer<Float>, rows n: Int, counts c: UnsafeMutablePointer<Double>,
                           _ y: UnsafePointer<Float>, rows ny: Int, counts cy: UnsafeMutablePointer<Double>, batches: Int,
                           cubic s3: inout [Double], quartic s4: inout [Double]) {
        var r0 = 0
        while r0 < n {
            let r1 = min(r0 + Self.blockRows, n), rows = r1 - r0
            let (k3, k4) = kernelBlock(x + r0 * d, rows: rows, against: y, columns: ny)
            let t3 = projectedCubic.reserve(rows * batches), t4 = projectedQuartic.reserve(rows * batches)
            BLAS.dgemm(m: rows, n: batches, k: ny, a: k3, lda: ny, b: cy, ldb: batches, c: t3, ldc: batches)
            BLAS.dgemm(m: rows, n: batches, k: ny, a: k4, lda: ny, b: cy, ldb: batches, c: t4, ldc: batches)
            accumulate(c + r0 * batches, t3, t4, rows: rows, batches: batches, cubic: &s3, quartic: &s4)
            r0 = r1
        }
    }

    /// s[b] += Σ_i c[i, b]·t[i, b] for both powers.
    private func accumulate(_ c: UnsafeMutablePointer<Double>, _ t3: UnsafeMutablePointer<Double>,
                            _ t4: UnsafeMutablePointer<Double>, rows: Int, batches: Int,
                            cubic s3: inout [Double], quartic s4: inout [Double]) {
        for i in 0..<rows {
            for b in 0..<batches {
                s3[b] += c[i * batches + b] * t3[i * batches + b]
                s4[b] += c[i * batches + b] * t4[i * batches + b]
            }
        }
    }

    /// The rows×columns block of kernel values of `a`'s rows against `b`'s rows, as
    /// (t³, t⁴) with t = a_i·b_j/d + 1 (row stride `columns`).
    private func kernelBlock(_ a: UnsafePointer<Float>, rows: Int, against b: UnsafePointer<Float>,
                             columns: Int) -> (UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>) {
        let count = rows * columns
        let g = gram.reserve(count), k4 = quartic.reserve(count), k3 = cubic.reserve(count)
        BLAS.sgemm(transB: true, m: rows, n: columns, k: d, a: a, lda: d, b: b, ldb: d, c: g, ldc: columns)
        // t = g/d + 1, then t³ and t⁴, four lanes at a time.
        let inverse = 1 / Double(d)
        var i = 0
        while i + 4 <= count {
            let products = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD4<Float>.self)
            let t = SIMD4<Double>(products) * inverse + 1
            let t3 = t * t * t
            UnsafeMutableRawPointer(k3 + i).storeBytes(of: t3, as: SIMD4<Double>.self)
            UnsafeMutableRawPointer(k4 + i).storeBytes(of: t3 * t, as: SIMD4<Double>.self)
            i += 4
        }
        while i < count {
            let t = Double(g[i]) * inverse + 1, t3 = t * t * t
            k3[i] = t3
            k4[i] = t3 * t
            i += 1
        }
        return (k3, k4)
    }
}
