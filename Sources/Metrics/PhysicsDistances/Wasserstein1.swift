/// The 1-D Wasserstein-1 distance of two samples (docs/science.md §6.1), as
/// scipy.stats.wasserstein_distance with equal weights: the area between the two empirical
/// CDFs, W1 = ∫ |F_a(t) − F_b(t)| dt, walked over the merged sorted values. For equal sizes it
/// is the mean |a_(k) − b_(k)| of the order statistics; for two point masses at u and v, |u − v|.
enum Wasserstein1 {
    /// W1 of two ascending, non-empty samples.
    static func distance(sorted a: UnsafeBufferPointer<Double>, _ b: UnsafeBufferPointer<Double>) -> Double {
        precondition(!a.isEmpty && !b.isEmpty, "Wasserstein1: empty sample")
        let na = Double(a.count), nb = Double(b.count)
        var i = 0, j = 0, total = 0.0
        var previous = min(a[0], b[0])
        // Between consecutive merged values the CDFs are constant: F_a = i/na, F_b = j/nb.
        while i < a.count || j < b.count {
            let next = j == b.count || (i < a.count && a[i] <= b[j]) ? a[i] : b[j]
            total += abs(Double(i) / na - Double(j) / nb) * (next - previous)
            previous = next
            while i < a.count && a[i] == next { i += 1 }
            while j < b.count && b[j] == next { j += 1 }
        }
        return total
    }
}
