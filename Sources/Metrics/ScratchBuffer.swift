/// Grow-only scratch memory for trivial element types (Float, Double, Int32), reused across
/// calls: k-means and PRD run after every epoch of every trial, so their batch, distance and
/// union buffers are allocated once per evaluator, not once per call. Contents are
/// unspecified after `reserve`; callers write before they read.
final class ScratchBuffer<Element> {
    private(set) var pointer: UnsafeMutablePointer<Element>
    private(set) var capacity: Int

    init() {
        capacity = 0
        pointer = .allocate(capacity: 1)
    }

    /// A pointer to at least `count` elements (reallocated only when it must grow).
    func reserve(_ count: Int) -> UnsafeMutablePointer<Element> {
        if count > capacity {
            pointer.deallocate()
            pointer = .allocate(capacity: max(count, 1))
            capacity = count
        }
        return pointer
    }

    deinit { pointer.deallocate() }
}
