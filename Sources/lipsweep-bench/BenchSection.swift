import Foundation

/// One named group of benchmarks (`lipsweep-bench NAME`).
struct BenchSection: Sendable {
    let name: String
    let summary: String
    let run: @Sendable () -> Void
}

/// Wall-clock timing: one warm-up call, then repeats until at least `minimumSeconds` have
/// passed (and at least 3 runs); returns the fastest run in seconds (least disturbed by the
/// other processes sharing the machine) and the mean.
func measure(minimumSeconds: Double = 0.4, _ body: () -> Void) -> (best: Double, mean: Double) {
    body()
    var best = Double.infinity, total = 0.0, runs = 0
    let clock = ContinuousClock()
    while total < minimumSeconds || runs < 3 {
        let d = clock.measure(body)
        let s = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        best = min(best, s); total += s; runs += 1
    }
    return (best, total / Double(runs))
}

func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
}

func fixed(_ x: Double, _ decimals: Int = 1) -> String { String(format: "%.\(decimals)f", x) }
