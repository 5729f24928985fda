/// Small SIMD kernels over Float rows. Without fast-math the compiler must keep the order of
/// a scalar sum and cannot vectorise it; two 8-lane accumulators do it by hand.
enum VectorKernels {
    /// ‖a − b‖² over `count` entries, computed directly (not via ‖a‖² − 2a·b + ‖b‖²), so two
    /// identical rows give exactly 0 — k-means++ relies on that to see duplicate points.
    @inline(__always)
    static func squaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        var j = 0
        while j + 16 <= count {
            let d0 = load8(a + j) - load8(b + j)
            let d1 = load8(a + j + 8) - load8(b + j + 8)
            acc0 += d0 * d0
            acc1 += d1 * d1
            j += 16
        }
        var sum = (acc0 + acc1).sum()
        while j < count {
            let t = a[j] - b[j]
            sum += t * t
            j += 1
        }
        return sum
    }

    /// ‖a‖² over `count` entries.
    @inline(__always)
    static func squaredNorm(_ a: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        var j = 0
        while j + 16 <= count {
            let x0 = load8(a + j), x1 = load8(a + j + 8)
            acc0 += x0 * x0
            acc1 += x1 * x1
            j += 16
        }
        var sum = (acc0 + acc1).sum()
        while j < count {
            sum += a[j] * a[j]
            j += 1
        }
        return sum
    }

    /// y += x over `count` entries (8 lanes at a time: the pointers may alias as far as the
    /// compiler knows, which keeps it from vectorising the plain loop).
    @inline(__always)
    static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ count: Int) {
        var j = 0
        while j + 8 <= count {
            UnsafeMutableRawPointer(y + j).storeBytes(of: load8(y + j) + load8(x + j), as: SIMD8<Float>.self)
            j += 8
        }
        while j < count {
            y[j] += x[j]
            j += 1
        }
    }

    @inline(__always)
    private static func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }
}
