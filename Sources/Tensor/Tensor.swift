/// Owned float32 memory, allocated once (zero-filled) and freed with its last reference.
/// Layers allocate their activations for a maximum batch at construction and reuse them.
public final class TensorStorage: @unchecked Sendable {
    public let data: UnsafeMutablePointer<Float>
    public let capacity: Int

    public init(capacity: Int) {
        precondition(capacity >= 0, "negative tensor capacity")
        self.capacity = capacity
        data = .allocate(capacity: max(capacity, 1))
        data.initialize(repeating: 0, count: max(capacity, 1))
    }

    deinit { data.deallocate() }
}

/// A float32 NCHW tensor: a view of `storage` with shape (n, c, h, w), row-major, batch first.
/// A feature vector batch is (n, features, 1, 1). Reshaping and changing the batch are free
/// (no copy, no allocation): the view only changes its four sizes.
public struct Tensor: @unchecked Sendable {
    public let storage: TensorStorage
    /// First element of this view inside `storage`.
    public let offset: Int
    public private(set) var n: Int
    public private(set) var c: Int
    public private(set) var h: Int
    public private(set) var w: Int

    /// Allocates zero-filled storage for exactly this shape.
    public init(n: Int, c: Int, h: Int = 1, w: Int = 1) {
        self.storage = TensorStorage(capacity: n * c * h * w)
        self.offset = 0
        self.n = n; self.c = c; self.h = h; self.w = w
    }

    /// A view of existing storage; the shape must fit in it.
    public init(storage: TensorStorage, n: Int, c: Int, h: Int = 1, w: Int = 1, offset: Int = 0) {
        precondition(offset + n * c * h * w <= storage.capacity,
                     "shape (\(n), \(c), \(h), \(w)) at \(offset) exceeds storage of \(storage.capacity) floats")
        self.storage = storage
        self.offset = offset
        self.n = n; self.c = c; self.h = h; self.w = w
    }

    @inline(__always) public var data: UnsafeMutablePointer<Float> { storage.data + offset }
    /// Elements of one sample: c·h·w.
    @inline(__always) public var featureCount: Int { c * h * w }
    @inline(__always) public var count: Int { n * c * h * w }
    public var buffer: UnsafeMutableBufferPointer<Float> { .init(start: data, count: count) }

    /// The same storage with another shape (no copy).
    public func reshaped(n: Int, c: Int, h: Int = 1, w: Int = 1) -> Tensor {
        Tensor(storage: storage, n: n, c: c, h: h, w: w, offset: offset)
    }

    /// The same per-sample shape with `batch` samples (at most what the storage holds).
    public func withBatch(_ batch: Int) -> Tensor { reshaped(n: batch, c: c, h: h, w: w) }

    /// (n, c·h·w, 1, 1): the flatten of PyTorch's `x.flatten(1)` (NCHW is already contiguous).
    public func flattened() -> Tensor { reshaped(n: n, c: featureCount) }

    /// Samples `range` as a view (contiguous in NCHW, so no copy).
    public func samples(_ range: Range<Int>) -> Tensor {
        precondition(range.upperBound <= n, "sample range \(range) outside batch of \(n)")
        return Tensor(storage: storage, n: range.count, c: c, h: h, w: w,
                      offset: offset + range.lowerBound * featureCount)
    }

    public func toArray() -> [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    /// self += other, elementwise (e.g. summing the gradients of a tensor used by two branches).
    public func add(_ other: Tensor) {
        precondition(other.count == count, "add: \(other.count) elements into \(count)")
        let a = data, b = other.data
        for i in 0..<count { a[i] += b[i] }
    }

    public func fill(_ value: Float) { data.update(repeating: value, count: count) }

    /// Copies `values` (exactly `count` of them) into the tensor.
    public func copy(from values: [Float]) {
        precondition(values.count == count, "copy of \(values.count) floats into tensor of \(count)")
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }
}
