import Dispatch

/// Static split of `count` independent items (e.g. batch chunks) over worker threads.
///
/// Worker t of T takes items [t·count/T, (t+1)·count/T): a fixed partition, so with a fixed
/// thread count and a fixed reduction order the results are reproducible. While the workers run,
/// OpenBLAS is held to one thread (each worker calls single-threaded GEMMs: at the small shapes
/// of a batch chunk, OpenBLAS's own threading barely scales) and restored afterwards.
public enum WorkSplit {
    /// Workers to use for `count` items: min(threads ?? BLAS.threads, count), at least 1.
    public static func workers(for count: Int, threads: Int? = nil) -> Int {
        max(1, min(threads ?? BLAS.threads, count))
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
