import Calo
import Foundation
import Metrics
import Tensor

/// Seconds for one PRD score (3 clusterings of the union of 5,000 real + 5,000 generated
/// points, batch 1,024, one BLAS thread) at the RAW shape (900 log(1 + E) cells) and the
/// Physical shape (54 standardised features), for k = 100 (`small`) and k = 400 (`paper`).
/// The data are synthetic stand-ins with the right shapes and a similar structure
/// (Gaussian-profile showers of log-uniform energy; a 54-dimensional Gaussian mixture), so
/// the figures can be compared with `scripts/metrics_bench_sklearn.py`, which builds the same
/// kind of data for scikit-learn. A last section times `CaloPRD` on simulated events.
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
                let start = Date(), startCPU = threadCPUSeconds()
                let result = try evaluator.evaluate(real: pair.real, generated: pair.generated, seed: 1,
                                                    standardize: standardize)
                let seconds = Date().timeIntervalSince(start), cpu = threadCPUSeconds() - startCPU
                let iterations = result.runs.map { String($0.iterations) }.joined(separator: ",")
                print(String(format: "  %@ %4d dims, k = %3d: %6.3f s wall, %6.3f s CPU  (AUC %.3f, iterations per run %@)",
                             name, pair.real.columns, k, seconds, cpu, result.auc, iterations))
            } catch {
                print("  \(name) k = \(k): failed: \(error)")
            }
        }
    }
    // The real thing: simulated events (docs/science.md §2.1), features included.
    let real = ShowerSimulator.simulate(count: 5000, seed: 1), generated = ShowerSimulator.simulate(count: 5000, seed: 2)
    print("metrics: RAW + Physical PRD of 5000 simulated vs 5000 simulated events (features included), 3 runs, 1 thread")
    for k in [100, 400] {
        do {
            let scorer = try CaloPRD(options: PRDOptions(clusters: k, runs: 3))
            let start = Date(), startCPU = threadCPUSeconds()
            let score = try scorer.evaluate(real: real, generated: generated, seed: 1)
            let seconds = Date().timeIntervalSince(start), cpu = threadCPUSeconds() - startCPU
            print(String(format: "  k = %3d: %6.3f s wall, %6.3f s CPU  (RAW PRD %.3f, Physical PRD %.3f)",
                         k, seconds, cpu, score.raw.auc, score.physical.auc))
        } catch {
            print("  k = \(k): failed: \(error)")
        }
    }
}

/// CPU seconds of the calling thread (with one BLAS thread the GEMMs run here too): a
/// figure that other processes sharing the cores inflate far less than wall time.
private func threadCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
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
