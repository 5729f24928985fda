import Foundation

/// One named group of benchmarks (`lipsweep-bench NAME`).
struct BenchSection: Sendable {
    let name: String
    let summary: String
    /// False for a subset of another section (runs only when named).
    var inAll = true
    let run: @Sendable () -> Void
}

/// Timing: one warm-up call, then repeats until at least `minimumSeconds` of wall time have
/// passed (and at least 3 runs). Returns the fastest run's wall time, the mean wall time, and
/// the fastest run's process CPU time. The machine is shared, so wall time includes waiting
/// for a core; with one BLAS thread, CPU time is the work itself (the load-independent
/// figure). With two threads CPU time counts both threads, so only wall time is meaningful.
struct Timing { let best: Double, mean: Double, bestCPU: Double }

func measure(minimumSeconds: Double = 0.4, _ body: () -> Void) -> Timing {
    func cpuSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
    body()
    var best = Double.infinity, bestCPU = Double.infinity, total = 0.0, runs = 0
    let clock = ContinuousClock()
    while total < minimumSeconds || runs < 3 {
        let c0 = cpuSeconds()
        let d = clock.measure(body)
        bestCPU = min(bestCPU, cpuSeconds() - c0)
        let s = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        best = min(best, s); total += s; runs += 1
    }
    return Timing(best: best, mean: total / Double(runs), bestCPU: bestCPU)
}

func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
}

func fixed(_ x: Double, _ decimals: Int = 1) -> String { String(format: "%.\(decimals)f", x) }
