import Dispatch

/// Static split of `count` independent items (e.g. batch chunks) over worker threads.
///
/// Worker t of T takes items [t·count/T, (t+1)·count/T): a fixed partition, so with a fixed
/// thread count and a fixed reduction order the results are reproducible. While the workers run,
/// OpenBLAS is held to one thread (each worker calls single-threaded GEMMs: at the small shapes
/// of a batch chunk, OpenBLAS's own threading barely scales) and restored afterwards.
///
/// `withOwnThreads` goes further for a whole training loop: OpenBLAS stays at one thread
/// throughout and every layer splits its own work over the T threads. OpenBLAS's idle workers
/// otherwise spin (sched_yield) after each multi-threaded GEMM and compete with ours for the
/// cores (≈ 10% of a 2-thread profile), and the trainer's GEMMs are too small to gain from it.
public enum WorkSplit {
    /// The thread count of the innermost `withOwnThreads` on this task (or, outside any task,
    /// this thread), nil outside one. Task-local, not process-wide: tests run several trainers
    /// in one process at once, and one trainer's count must never decide how another splits
    /// and sums its work (that would change its numbers in the last bits).
    @TaskLocal private static var ownThreads: Int?

    /// Threads the layers may use: `withOwnThreads`'s count inside one, else BLAS.threads.
    public static var threads: Int { ownThreads ?? BLAS.threads }

    /// Workers to use for `count` items: min(threads ?? WorkSplit.threads, count), at least 1.
    public static func workers(for count: Int, threads: Int? = nil) -> Int {
        max(1, min(threads ?? Self.threads, count))
    }

    /// Runs `body` with OpenBLAS at one thread and `WorkSplit.threads` equal to `threads`
    /// (default: the enclosing `withOwnThreads`'s count, else the caller's BLAS.threads);
    /// restores OpenBLAS's count afterwards.
    public static func withOwnThreads<R, E: Error>(_ threads: Int? = nil, _ body: () throws(E) -> R) throws(E) -> R {
        let saved = BLAS.threads
        let own = max(1, threads ?? ownThreads ?? saved)
        if saved != 1 { BLAS.threads = 1 }
        defer { if saved != 1 { BLAS.threads = saved } }
        // TaskLocal.withValue rethrows untyped; carry the typed error out in a Result.
        let result: Result<R, E> = $ownThreads.withValue(own) { Result { () throws(E) -> R in try body() } }
        return try result.get()
    }

    /// Calls `body(worker, items)` for every worker; with one worker, inline on this thread.
    public static func run(items count: Int, workers: Int, _ body: (Int, Range<Int>) -> Void) {
        guard workers > 1 else { body(0, 0..<count); return }
        let saved = BLAS.threads
        if saved != 1 { BLAS.threads = 1 }
        withoutActuallyEscaping(body) { escapable in
            // The workers touch disjoint items; their shared reads are not mutated meanwhile.
            nonisolated(unsafe) let work = escapable
            DispatchQueue.concurrentPerform(iterations: workers) { t in
                work(t, (t * count / workers)..<((t + 1) * count / workers))
            }
        }
        if saved != 1 { BLAS.threads = saved }
    }
}
