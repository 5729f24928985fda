/// A sample of N feature vectors of dimension D, stored row-major: row i is
/// `values[i*D ..< (i+1)*D]`. The common currency of k-means and PRD.
public struct FeatureMatrix: Sendable, Equatable {
    public let rows: Int
    public let columns: Int
    public var values: [Float]

    public init(rows: Int, columns: Int, values: [Float]) {
        precondition(rows >= 0 && columns >= 0 && values.count == rows * columns,
                     "FeatureMatrix: \(values.count) values cannot be \(rows)×\(columns)")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// The first non-finite entry as (row, column, value), if any.
    public func firstNonFinite() -> (row: Int, column: Int, value: Float)? {
        guard let i = values.firstIndex(where: { !$0.isFinite }) else { return nil }
        return (i / max(columns, 1), i % max(columns, 1), values[i])
    }
}

/// Per-feature standardisation x' = (x − mean_j) / sd_j with the mean and the population
/// standard deviation (divisor N) of a reference sample — the REAL sample in Physical PRD
/// (docs/science.md §6), then applied unchanged to both samples so they share one scale.
/// A feature with zero spread in the reference (all its values equal, tested exactly as
/// min == max so rounding in the mean cannot fake a tiny spread) is divided by 1.
public struct Standardizer: Sendable, Equatable, Codable {
    public let mean: [Double]
    public let scale: [Double]

    public init(mean: [Double], scale: [Double]) {
        precondition(mean.count == scale.count)
        self.mean = mean
        self.scale = scale
    }

    /// Fits on `reference` (two passes in Double: mean, then Σ(x − mean)²/N).
    public init(fittedTo reference: FeatureMatrix) {
        let n = reference.rows, d = reference.columns
        var mean = [Double](repeating: 0, count: d)
        var sumSquares = [Double](repeating: 0, count: d)
        var low = [Float](repeating: .infinity, count: d)
        var high = [Float](repeating: -.infinity, count: d)
        reference.values.withUnsafeBufferPointer { x in
            for i in 0..<n {
                for j in 0..<d {
                    let v = x[i * d + j]
                    mean[j] += Double(v)
                    low[j] = min(low[j], v); high[j] = max(high[j], v)
                }
            }
            if n > 0 { for j in 0..<d { mean[j] /= Double(n) } }
            for i in 0..<n {
                for j in 0..<d {
                    let t = Double(x[i * d + j]) - mean[j]
                    sumSquares[j] += t * t
                }
            }
        }
        var scale = [Double](repeating: 1, count: d)
        for j in 0..<d where n > 0 && low[j] != high[j] {
            scale[j] = (sumSquares[j] / Double(n)).squareRoot()
        }
        self.init(mean: mean, scale: scale)
    }

    /// The standardised copy of `sample` (same shape).
    public func apply(_ sample: FeatureMatrix) -> FeatureMatrix {
        precondition(sample.columns == mean.count, "Standardizer: \(sample.columns) columns, fitted on \(mean.count)")
        let d = sample.columns
        var out = sample.values
        out.withUnsafeMutableBufferPointer { y in
            for i in 0..<sample.rows {
                for j in 0..<d {
                    y[i * d + j] = Float((Double(y[i * d + j]) - mean[j]) / scale[j])
                }
            }
        }
        return FeatureMatrix(rows: sample.rows, columns: d, values: out)
    }
}
