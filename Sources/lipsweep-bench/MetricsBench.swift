import Foundation
import Metrics
import Tensor

/// Seconds for one PRD score (3 clusterings of the union of 5,000 real + 5,000 generated
/// points, batch 1,024, one BLAS thread) at the RAW shape (900 log(1 + E) cells) and the
/// Physical shape (54 standardised features), for k = 100 (`small`) and k = 400 (`paper`).
/// The data are synthetic stand-ins with the right shapes and a similar structure
/// (Gaussian-profile showers of log-uniform energy; a 54-dimensional Gaussian mixture), so
/// the figures do not depend on the calorimeter simulator. The scikit-learn comparison is
/// `scripts/metrics_bench_sklearn.py`, which builds the same kind of data.
func runMetricsBench() {
    BLAS.threads = 1
    print("metrics: PRD = mini-batch k-means (batch 1024) ×3 runs on 5000 + 5000 points, 1 thread")
    let raw = (real: syntheticShowers(count: 5000, seed: 1), generated: syntheticShowers(count: 5000, seed: 2))
    let phys = (real: syntheticMixture(count: 5000, dimension: 54, seed: 1),
                generated: syntheticMixture(count: 5000, dimension: 54, seed: 2))
    for k in [100, 400] {
        for (name, pair, standardize) in [("RAW PRD     ", raw, false), ("Physical PRD", phys, true)] {
            do {
                let evaluator = try PRDEvaluator(options: PRDOptions(clusters: k, runs: 3))
                _ = try evaluator.evaluate(real: pair.real, generated: pair.generated, seed: 0, standardize: standardize)
                let start = Date()
                let result = try evaluator.evaluate(real: pair.real, generated: pair.generated, seed: 1,
                                                    standardize: standardize)
                let seconds = Date().timeIntervalSince(start)
                let iterations = result.runs.map { String($0.iterations) }.joined(separator: ",")
                print(String(format: "  %@ %4d dims, k = %3d: %6.3f s  (AUC %.3f, iterations per run %@)",
                             name, pair.real.columns, k, seconds, result.auc, iterations))
            } catch {
                print("  \(name) k = \(k): failed: \(error)")
            }
        }
    }
}

/// log(1 + E) of 30×30 Gaussian-profile showers: E log-uniform in [2, 100] GeV, centre
/// U(13, 17)² cells, width 0.7 + 0.1·ln E cells, readout cut 0.01 GeV.
private func syntheticShowers(count: Int, seed: UInt64) -> FeatureMatrix {
    var rng = SeededRandom(seed: seed)
    var values = [Float](repeating: 0, count: count * 900)
    for e in 0..<count {
        let energy = exp(rng.uniform(log(2), log(100)))
        let cx = rng.uniform(13, 17), cy = rng.uniform(13, 17)
        let width = 0.7 + 0.1 * log(energy)
        let norm = energy / (2 * Double.pi * width * width)
        for i in 0..<30 {
            for j in 0..<30 {
                let dx = Double(j) + 0.5 - cx, dy = Double(i) + 0.5 - cy
                let cell = norm * exp(-(dx * dx + dy * dy) / (2 * width * width))
                if cell >= 0.01 { values[e * 900 + i * 30 + j] = Float(log1p(cell)) }
            }
        }
    }
    return FeatureMatrix(rows: count, columns: 900, values: values)
}

/// A 20-component Gaussian mixture in `dimension` dimensions (component means N(0, 3²),
/// unit spread), the same components for every seed.
private func syntheticMixture(count: Int, dimension: Int, seed: UInt64) -> FeatureMatrix {
    var means = SeededRandom(seed: 999)
    let centres = (0..<(20 * dimension)).map { _ in means.normal(mean: 0, sd: 3) }
    var rng = SeededRandom(seed: seed)
    var values = [Float](repeating: 0, count: count * dimension)
    for e in 0..<count {
        let c = rng.index(below: 20)
        for j in 0..<dimension { values[e * dimension + j] = Float(centres[c * dimension + j] + rng.normal()) }
    }
    return FeatureMatrix(rows: count, columns: dimension, values: values)
}
