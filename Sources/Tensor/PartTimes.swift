#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Time accumulated per named part of a computation, for benchmarks' breakdowns (the
/// roofline table of `lipsweep-bench roofline`): wall time, or the calling thread's CPU time
/// (the work itself on a shared machine, when the computation runs on one thread). Opt-in: code that can be profiled holds an
/// optional `PartTimes` and, when it is nil, runs its parts untimed, so the hot path costs one
/// nil test per part and never allocates. The slots are allocated once, at init.
public final class PartTimes {
    public enum Clock: Sendable { case wall, threadCPU }
    public let names: [String]
    public let clock: Clock
    /// Seconds per part, in `names`' order.
    public private(set) var seconds: [Double]
    /// Calls per part.
    public private(set) var calls: [Int]

    public init(names: [String], clock: Clock = .wall) {
        self.names = names; self.clock = clock
        seconds = [Double](repeating: 0, count: names.count)
        calls = [Int](repeating: 0, count: names.count)
    }

    /// Runs `body`, adding its wall time to part `part`.
    @inline(__always)
    public func measure<T, E: Error>(_ part: Int, _ body: () throws(E) -> T) throws(E) -> T {
        let start = now()
        defer {
            seconds[part] += now() - start
            calls[part] += 1
        }
        return try body()
    }

    public func reset() {
        for i in seconds.indices { seconds[i] = 0; calls[i] = 0 }
    }

    public var total: Double { seconds.reduce(0, +) }

    /// Seconds on `clock`.
    @inline(__always)
    public func now() -> Double {
        var t = timespec()
        clock_gettime(clock == .wall ? CLOCK_MONOTONIC : CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}

extension Optional where Wrapped == PartTimes {
    /// `body`, timed as part `part` when profiling, else just run.
    @inline(__always)
    public func measure<T, E: Error>(_ part: Int, _ body: () throws(E) -> T) throws(E) -> T {
        guard let times = self else { return try body() }
        return try times.measure(part, body)
    }
}
