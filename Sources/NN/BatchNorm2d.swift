import Tensor

/// Batch normalisation without its own affine (PyTorch's BatchNorm2d(affine=False)), per
/// channel c over the N·H·W values of a batch:
///   training:   μ_c = mean(x_c),  v_c = mean((x_c − μ_c)²) (biased),  x̂ = (x − μ_c)/√(v_c + ε)
///               running_mean ← (1 − m)·running_mean + m·μ_c
///               running_var  ← (1 − m)·running_var  + m·v_c·N'/(N' − 1)   (N' = N·H·W, unbiased)
///   evaluation: x̂ = (x − running_mean_c)/√(running_var_c + ε)
/// with ε = 1e-5 and momentum m = 0.1 (PyTorch's defaults). The running statistics live in the
/// store's buffers (start 0 and 1), so a checkpoint carries them.
/// Backward of a training forward goes through μ and v (x̂ is the cached output):
///   ∂L/∂x = (1/√(v_c + ε))·(g − mean_c(g) − x̂·mean_c(g·x̂)),   g = ∂L/∂x̂
/// and of an evaluation forward, ∂L/∂x = g/√(running_var_c + ε).
/// With T > 1 threads the channels are split over the workers; every channel's sums are
/// taken by one worker in a fixed order, so the numbers do not depend on T.
public final class BatchNorm2d: ParameterlessLayer, @unchecked Sendable {
    public static let epsilon: Float = 1e-5
    public static let momentum: Float = 0.1

    public let channels: Int, height: Int, width: Int, maxBatch: Int
    public let store: ParameterStore
    /// running_mean and running_var (channels each) in `store.buffers`.
    public let runningMean: ParameterSlice, runningVariance: ParameterSlice
    /// x̂, (maxBatch, channels, height, width).
    public let output: Tensor
    public let inputGradient: Tensor
    /// Worker threads; nil follows `WorkSplit.threads`.
    public var threads: Int?
    /// 1/√(v + ε) of the last forward, per channel (of the batch or of the running variance).
    private let inverseDeviation: TensorStorage
    private var batch = 0
    private var lastMode: ForwardMode = .training

    public init(channels: Int, height: Int, width: Int, maxBatch: Int, store: ParameterStore) {
        self.channels = channels; self.height = height; self.width = width; self.maxBatch = maxBatch
        self.store = store
        runningMean = store.allocateBuffer(channels)
        runningVariance = store.allocateBuffer(channels)
        store.buffer(runningVariance).update(repeating: 1, count: channels)
        output = Tensor(n: maxBatch, c: channels, h: height, w: width)
        inputGradient = Tensor(n: maxBatch, c: channels, h: height, w: width)
        inverseDeviation = TensorStorage(capacity: channels)
    }

    public var outputShape: [Int] { [channels, height, width] }
    public var inputShape: [Int] { [channels, height, width] }
    /// Training: the mean (1 per value), the squared deviations (3) and x̂ (2); backward the two
    /// sums (3) and ∂L/∂x (4).
    public var flopsPerSample: LayerFLOPs { .elementwise(channels * height * width, forward: 6, backward: 7) }

    /// x: (n, channels, height, width) → x̂ of the same shape.
    public func forward(_ x: Tensor, mode: ForwardMode) -> Tensor {
        let n = x.n, plane = height * width, cs = channels
        precondition(x.c == channels && x.h == height && x.w == width && n <= maxBatch,
                     "BatchNorm2d: input (\(n), \(x.c), \(x.h), \(x.w)) ≠ (≤\(maxBatch), \(channels), \(height), \(width))")
        precondition(mode == .evaluation || n * plane > 1, "BatchNorm2d: batch statistics need more than one value per channel")
        batch = n; lastMode = mode
        let xp = UnsafePointer(x.data), y = output.data, inv = inverseDeviation.data
        let mean = store.buffer(runningMean), variance = store.buffer(runningVariance)
        let m = Self.momentum, count = n * plane
        WorkSplit.run(items: cs, workers: WorkSplit.workers(for: cs, threads: threads)) { _, range in
            for c in range {
                let mu: Float, scale: Float
                if mode == .training {
                    mu = ChannelPlanes.sum(xp, channel: c, channels: cs, plane: plane, batch: n) / Float(count)
                    let v = ChannelPlanes.squaredDeviation(xp, from: mu, channel: c, channels: cs, plane: plane, batch: n)
                        / Float(count)
                    scale = 1 / (v + Self.epsilon).squareRoot()
                    mean[c] = (1 - m) * mean[c] + m * mu
                    variance[c] = (1 - m) * variance[c] + m * v * Float(count) / Float(count - 1)
                } else {
                    mu = mean[c]
                    scale = 1 / (variance[c] + Self.epsilon).squareRoot()
                }
                inv[c] = scale
                for s in 0..<n {
                    let at = (s * cs + c) * plane, src = xp + at, dst = y + at
                    for p in 0..<plane { dst[p] = (src[p] - mu) * scale }
                }
            }
        }
        return output.withBatch(n)
    }

    /// dOut = ∂L/∂x̂ of the last forward → ∂L/∂x.
    public func backward(_ dOut: Tensor) -> Tensor {
        let n = batch, plane = height * width, cs = channels
        precondition(dOut.n == n && dOut.featureCount == channels * plane, "BatchNorm2d.backward: gradient shape")
        let g = UnsafePointer(dOut.data), xhat = UnsafePointer(output.data), dx = inputGradient.data
        let inv = UnsafePointer(inverseDeviation.data), training = lastMode == .training
        let count = Float(n * plane)
        WorkSplit.run(items: cs, workers: WorkSplit.workers(for: cs, threads: threads)) { _, range in
            for c in range {
                let scale = inv[c]
                var meanG: Float = 0, meanGX: Float = 0
                if training {
                    meanG = ChannelPlanes.sum(g, channel: c, channels: cs, plane: plane, batch: n) / count
                    meanGX = ChannelPlanes.dot(g, xhat, channel: c, channels: cs, plane: plane, batch: n) / count
                }
                for s in 0..<n {
                    let at = (s * cs + c) * plane, gs = g + at, xs = xhat + at, d = dx + at
                    for p in 0..<plane { d[p] = scale * (gs[p] - meanG - xs[p] * meanGX) }
                }
            }
        }
        return inputGradient.withBatch(n)
    }
}

/// Per-channel reductions over the planes of one channel in an NCHW batch, 8 lanes wide in a
/// fixed order (deterministic; a lane-wise float sum of ≤ 10⁶ terms is accurate to ~1e-6).
enum ChannelPlanes {
    typealias Vector = SIMD8<Float>

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> Vector { UnsafeRawPointer(p).loadUnaligned(as: Vector.self) }

    /// Σ over samples and pixels of f(a[i], b[i]) for channel c (b may be unused).
    @inline(__always)
    static func reduce(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, channel c: Int, channels: Int, plane: Int,
                       batch: Int, _ vector: (Vector, Vector) -> Vector, _ scalar: (Float, Float) -> Float) -> Float {
        var lanes = Vector(), tail: Float = 0
        let wide = plane & ~7
        for s in 0..<batch {
            let at = (s * channels + c) * plane, pa = a + at, pb = b + at
            var p = 0
            while p < wide { lanes += vector(load(pa + p), load(pb + p)); p += 8 }
            while p < plane { tail += scalar(pa[p], pb[p]); p += 1 }
        }
        return lanes.sum() + tail
    }

    static func sum(_ x: UnsafePointer<Float>, channel c: Int, channels: Int, plane: Int, batch: Int) -> Float {
        reduce(x, x, channel: c, channels: channels, plane: plane, batch: batch, { a, _ in a }, { a, _ in a })
    }

    static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, channel c: Int, channels: Int, plane: Int,
                    batch: Int) -> Float {
        reduce(x, y, channel: c, channels: channels, plane: plane, batch: batch, { a, b in a * b }, { a, b in a * b })
    }

    static func squaredDeviation(_ x: UnsafePointer<Float>, from mu: Float, channel c: Int, channels: Int, plane: Int,
                                 batch: Int) -> Float {
        let m = Vector(repeating: mu)
        return reduce(x, x, channel: c, channels: channels, plane: plane, batch: batch,
                      { a, _ in (a - m) * (a - m) }, { a, _ in (a - mu) * (a - mu) })
    }
}
