import Dispatch
import Foundation
import Tensor
import Testing

/// `WorkSplit.withOwnThreads` binds its thread count to the caller only: two trainers in one
/// process (the test suites run in parallel) each split their work by their own count.
struct WorkSplitTests {
    @Test func ownThreadCountIsPerCallerNotProcessWide() {
        // Two threads enter withOwnThreads(1) and withOwnThreads(3) in turn and both read the
        // count only after both are inside: with one process-wide count the first would read 3.
        let firstInside = DispatchSemaphore(value: 0), secondInside = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        let seen = SeenCounts()
        for own in [1, 3] {
            done.enter()
            Thread {
                let counts = WorkSplit.withOwnThreads(own) { () -> [Int] in
                    // Both inside at once, or the test shows nothing: the last entry says so.
                    let overlapped: DispatchTimeoutResult
                    if own == 1 {
                        firstInside.signal(); overlapped = secondInside.wait(timeout: .now() + 30)
                    } else {
                        overlapped = firstInside.wait(timeout: .now() + 30); secondInside.signal()
                    }
                    return [WorkSplit.threads, WorkSplit.workers(for: 100), WorkSplit.withOwnThreads { WorkSplit.threads },
                            overlapped == .success ? 1 : 0]
                }
                seen.record(own, counts)
                done.leave()
            }.start()
        }
        #expect(done.wait(timeout: .now() + 60) == .success)
        #expect(seen.counts(1) == [1, 1, 1, 1])
        #expect(seen.counts(3) == [3, 3, 3, 1])
    }
}

/// What each thread saw, written from two threads.
private final class SeenCounts: @unchecked Sendable {
    private let lock = NSLock()
    private var byOwn: [Int: [Int]] = [:]
    func record(_ own: Int, _ counts: [Int]) { lock.withLock { byOwn[own] = counts } }
    func counts(_ own: Int) -> [Int]? { lock.withLock { byOwn[own] } }
}
