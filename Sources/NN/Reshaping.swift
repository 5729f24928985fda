import Tensor

/// Nearest-neighbour upsampling ×2 (F.interpolate(scale_factor=2)): (n, c, h, w) → (n, c, 2h, 2w),
/// y[.., 2i+a, 2j+b] = x[.., i, j]. Backward sums each 2×2 block of dy.
public final class Upsample2x: ParameterlessLayer, @unchecked Sendable {
    public let output: Tensor, inputGradient: Tensor
    private var lastInput = (n: 0, c: 0, h: 0, w: 0)

    public init(channels: Int, height: Int, width: Int, maxBatch: Int) {
        output = Tensor(n: maxBatch, c: channels, h: 2 * height, w: 2 * width)
        inputGradient = Tensor(n: maxBatch, c: channels, h: height, w: width)
    }

    public var outputShape: [Int] { [output.c, output.h, output.w] }
    public var inputShape: [Int] { [output.c, output.h / 2, output.w / 2] }
    /// Copies forward; backward sums each 2×2 block (3 additions per input value).
    public var flopsPerSample: LayerFLOPs { .elementwise(output.c * output.h * output.w / 4, forward: 0, backward: 3) }

    public func forward(_ x: Tensor, mode: ForwardMode = .training) -> Tensor {
        precondition(x.c == output.c && 2 * x.h == output.h && 2 * x.w == output.w && x.n <= output.n,
                     "Upsample2x: input shape")
        lastInput = (x.n, x.c, x.h, x.w)
        let w = x.w, w2 = 2 * w, src = x.data, dst = output.data
        for plane in 0..<(x.n * x.c) {
            for i in 0..<x.h {
                let s = src + (plane * x.h + i) * w, d = dst + (plane * x.h + i) * 2 * w2
                for j in 0..<w { d[2 * j] = s[j]; d[2 * j + 1] = s[j] }
                (d + w2).update(from: d, count: w2)
            }
        }
        return output.withBatch(x.n)
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        let (n, c, h, w) = lastInput, w2 = 2 * w, dy = dOut.data, dx = inputGradient.data
        for plane in 0..<(n * c) {
            for i in 0..<h {
                let top = dy + (plane * h + i) * 2 * w2, bottom = top + w2, d = dx + (plane * h + i) * w
                for j in 0..<w {
                    d[j] = top[2 * j] + top[2 * j + 1] + bottom[2 * j] + bottom[2 * j + 1]
                }
            }
        }
        return inputGradient.withBatch(n)
    }
}

/// (n, c, h, w) → (n, c·h·w): a free reshape (NCHW is contiguous); backward restores the shape.
public final class Flatten: ParameterlessLayer, @unchecked Sendable {
    private var lastInput = (c: 0, h: 0, w: 0)
    public init() {}

    /// Features per sample of the last forward's input (0 before one).
    public var outputShape: [Int] { [lastInput.c * lastInput.h * lastInput.w] }
    /// The last forward's input (0s before one).
    public var inputShape: [Int] { [lastInput.c, lastInput.h, lastInput.w] }
    /// A free reshape.
    public var flopsPerSample: LayerFLOPs { .zero }

    public func forward(_ x: Tensor, mode: ForwardMode = .training) -> Tensor {
        lastInput = (x.c, x.h, x.w)
        return x.flattened()
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        dOut.reshaped(n: dOut.n, c: lastInput.c, h: lastInput.h, w: lastInput.w)
    }
}

/// Concatenation of feature vectors along the feature axis: inputs (n, f_i) → (n, Σ f_i)
/// (torch.cat(dim=1) of flat inputs). Backward splits dy into one gradient per input.
public struct Concat: @unchecked Sendable {
    public let featureCounts: [Int]
    public let output: Tensor
    /// ∂L/∂input_i, preallocated.
    public let inputGradients: [Tensor]

    public init(featureCounts: [Int], maxBatch: Int) {
        self.featureCounts = featureCounts
        output = Tensor(n: maxBatch, c: featureCounts.reduce(0, +))
        inputGradients = featureCounts.map { Tensor(n: maxBatch, c: $0) }
    }

    public func forward(_ inputs: [Tensor]) -> Tensor {
        precondition(inputs.count == featureCounts.count, "Concat: \(inputs.count) inputs, \(featureCounts.count) expected")
        let n = inputs[0].n, total = output.c
        var at = 0
        for (x, f) in zip(inputs, featureCounts) {
            precondition(x.featureCount == f && x.n == n && n <= output.n, "Concat: input shape")
            for s in 0..<n { (output.data + s * total + at).update(from: x.data + s * f, count: f) }
            at += f
        }
        return output.withBatch(n)
    }

    public func backward(_ dOut: Tensor) -> [Tensor] {
        let n = dOut.n, total = output.c
        var at = 0
        var grads: [Tensor] = []
        grads.reserveCapacity(featureCounts.count)
        for (g, f) in zip(inputGradients, featureCounts) {
            for s in 0..<n { (g.data + s * f).update(from: dOut.data + s * total + at, count: f) }
            grads.append(g.withBatch(n))
            at += f
        }
        return grads
    }
}
