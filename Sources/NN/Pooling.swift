import Tensor

/// 2×2 average pooling, stride 2, no padding, floor mode (PyTorch's AvgPool2d(2)):
/// (n, c, H, W) → (n, c, ⌊H/2⌋, ⌊W/2⌋) (30 → 15, 15 → 7, 7 → 3; an odd last row or column is
/// dropped),  y[i, j] = ¼·Σ_{a,b ∈ {0,1}} x[2i+a, 2j+b].
/// Backward: ∂L/∂x[2i+a, 2j+b] = ¼·∂L/∂y[i, j], zero on a dropped row or column.
/// Operator norm in ℓ2: ½ (the windows are disjoint, and (Σ₄ x)²/16 ≤ Σ₄ x²/4 by Cauchy–Schwarz).
public final class AveragePool2x2: ParameterlessLayer, @unchecked Sendable {
    public let channels: Int, height: Int, width: Int, maxBatch: Int
    public let output: Tensor, inputGradient: Tensor
    /// Worker threads; nil follows `WorkSplit.threads`.
    public var threads: Int?
    private var batch = 0

    public init(channels: Int, height: Int, width: Int, maxBatch: Int) {
        precondition(height >= 2 && width >= 2, "AveragePool2x2: input \(height)×\(width) smaller than the window")
        self.channels = channels; self.height = height; self.width = width; self.maxBatch = maxBatch
        output = Tensor(n: maxBatch, c: channels, h: height / 2, w: width / 2)
        inputGradient = Tensor(n: maxBatch, c: channels, h: height, w: width)
    }

    public var outputShape: [Int] { [channels, height / 2, width / 2] }
    public var inputShape: [Int] { [channels, height, width] }
    /// Three additions and a scaling per output forward, one scaling backward.
    public var flopsPerSample: LayerFLOPs {
        LayerFLOPs(forward: 4 * channels * (height / 2) * (width / 2), inputGradient: channels * (height / 2) * (width / 2),
                   parameterGradient: 0)
    }

    public func forward(_ x: Tensor, mode: ForwardMode = .training) -> Tensor {
        precondition(x.c == channels && x.h == height && x.w == width && x.n <= maxBatch,
                     "AveragePool2x2: input (\(x.n), \(x.c), \(x.h), \(x.w)) ≠ (≤\(maxBatch), \(channels), \(height), \(width))")
        batch = x.n
        let h = height, w = width, ho = h / 2, wo = w / 2, src = UnsafePointer(x.data), dst = output.data
        let planes = x.n * channels
        WorkSplit.run(items: planes, workers: workers(planes)) { _, range in
            for plane in range {
                let xp = src + plane * h * w, yp = dst + plane * ho * wo
                for i in 0..<ho {
                    let top = xp + 2 * i * w, bottom = top + w, row = yp + i * wo
                    for j in 0..<wo {
                        row[j] = 0.25 * ((top[2 * j] + top[2 * j + 1]) + (bottom[2 * j] + bottom[2 * j + 1]))
                    }
                }
            }
        }
        return output.withBatch(x.n)
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        precondition(dOut.n == batch && dOut.featureCount == output.featureCount, "AveragePool2x2.backward: gradient shape")
        let h = height, w = width, ho = h / 2, wo = w / 2, dy = UnsafePointer(dOut.data), dx = inputGradient.data
        let planes = batch * channels
        WorkSplit.run(items: planes, workers: workers(planes)) { _, range in
            for plane in range {
                let d = dx + plane * h * w, g = dy + plane * ho * wo
                for i in 0..<ho {
                    let top = d + 2 * i * w, bottom = top + w, row = g + i * wo
                    for j in 0..<wo {
                        let v = 0.25 * row[j]
                        top[2 * j] = v; top[2 * j + 1] = v; bottom[2 * j] = v; bottom[2 * j + 1] = v
                    }
                    if w % 2 == 1 { top[w - 1] = 0; bottom[w - 1] = 0 }
                }
                if h % 2 == 1 { (d + (h - 1) * w).update(repeating: 0, count: w) }
            }
        }
        return inputGradient.withBatch(batch)
    }

    /// Workers for `planes` planes: one thread below ~64k floats (a dispatch costs more).
    private func workers(_ planes: Int) -> Int {
        planes * height * width < 1 << 16 ? 1 : WorkSplit.workers(for: planes, threads: threads)
    }
}

/// Global sum pooling (n, c, H, W) → (n, c): y[s, ch] = Σ_p x[s, ch, p]; backward broadcasts
/// ∂L/∂y[s, ch] to every pixel. Operator norm in ℓ2: √(H·W) (Cauchy–Schwarz, equality for a
/// constant plane).
public final class GlobalSumPool: ParameterlessLayer, @unchecked Sendable {
    public let channels: Int, height: Int, width: Int, maxBatch: Int
    public let output: Tensor, inputGradient: Tensor
    private var batch = 0

    public init(channels: Int, height: Int, width: Int, maxBatch: Int) {
        self.channels = channels; self.height = height; self.width = width; self.maxBatch = maxBatch
        output = Tensor(n: maxBatch, c: channels)
        inputGradient = Tensor(n: maxBatch, c: channels, h: height, w: width)
    }

    public var outputShape: [Int] { [channels] }
    public var inputShape: [Int] { [channels, height, width] }
    /// One addition per input value; backward copies.
    public var flopsPerSample: LayerFLOPs { .elementwise(channels * height * width, forward: 1, backward: 0) }

    public func forward(_ x: Tensor, mode: ForwardMode = .training) -> Tensor {
        precondition(x.c == channels && x.h == height && x.w == width && x.n <= maxBatch, "GlobalSumPool: input shape")
        batch = x.n
        let plane = height * width, src = x.data, dst = output.data
        for i in 0..<(x.n * channels) {
            let p = src + i * plane
            var sum: Float = 0
            for j in 0..<plane { sum += p[j] }
            dst[i] = sum
        }
        return output.withBatch(x.n)
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        precondition(dOut.n == batch && dOut.featureCount == channels, "GlobalSumPool.backward: gradient shape")
        let plane = height * width, dy = dOut.data, dx = inputGradient.data
        for i in 0..<(batch * channels) { (dx + i * plane).update(repeating: dy[i], count: plane) }
        return inputGradient.withBatch(batch)
    }
}

/// y = a + b of two tensors of one shape (a residual block's two paths). Backward: ∂L/∂y is
/// both inputs' gradient, returned as it is (no copy).
public struct ResidualSum: @unchecked Sendable {
    public let output: Tensor
    /// Worker threads; nil follows `WorkSplit.threads`.
    public var threads: Int?

    public init(channels: Int, height: Int, width: Int, maxBatch: Int) {
        output = Tensor(n: maxBatch, c: channels, h: height, w: width)
    }

    public func forward(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.count == b.count && a.featureCount == output.featureCount && a.n <= output.n,
                     "ResidualSum: input shapes")
        let x = UnsafePointer(a.data), y = UnsafePointer(b.data), z = output.data, count = a.count
        let workers = count < 1 << 16 ? 1 : WorkSplit.workers(for: a.n, threads: threads)
        WorkSplit.run(items: count, workers: workers) { _, range in
            for i in range { z[i] = x[i] + y[i] }
        }
        return output.withBatch(a.n)
    }

    /// (∂L/∂a, ∂L/∂b) = (∂L/∂y, ∂L/∂y).
    public func backward(_ dOut: Tensor) -> (Tensor, Tensor) { (dOut, dOut) }
}
