import Tensor

/// Leaky ReLU y = x for x > 0, slope·x otherwise (slope 0.2 in docs/science.md §4; slope 0 is ReLU).
/// ∂y/∂x = 1 for x > 0, slope otherwise (PyTorch's choice at 0).
public final class LeakyReLU: ParameterlessLayer, @unchecked Sendable {
    public let slope: Float
    public let output: Tensor, inputGradient: Tensor
    private var input: Tensor?

    /// `features` = c·h·w of one sample; output keeps the input's shape.
    public init(features: Int, maxBatch: Int, slope: Float = 0.2) {
        self.slope = slope
        output = Tensor(n: maxBatch, c: features)
        inputGradient = Tensor(n: maxBatch, c: features)
    }

    /// ReLU: a leaky ReLU of slope 0.
    public static func relu(features: Int, maxBatch: Int) -> LeakyReLU {
        LeakyReLU(features: features, maxBatch: maxBatch, slope: 0)
    }

    /// Features per sample (the output keeps the input's shape).
    public var outputShape: [Int] { [output.c] }
    public var inputShape: [Int] { [output.c] }
    public var flopsPerSample: LayerFLOPs { .elementwise(output.c, forward: 1, backward: 1) }

    public func forward(_ x: Tensor, mode: ForwardMode = .training) -> Tensor {
        precondition(x.count <= output.count, "LeakyReLU: input larger than preallocated")
        input = x
        LeakyActivation.apply(x.data, count: x.count, slope: slope, into: output.data)
        return output.reshaped(n: x.n, c: x.c, h: x.h, w: x.w)
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("LeakyReLU.backward before forward") }
        LeakyActivation.gradient(dOut.data, output: x.data, count: x.count, slope: slope, into: inputGradient.data)
        return inputGradient.reshaped(n: x.n, c: x.c, h: x.h, w: x.w)
    }
}

/// y = k·x with one trainable scalar k (the k_i of docs/science.md §5.1, initial 1).
/// ∂L/∂k = Σ dy·x, ∂L/∂x = k·dy.
public final class TrainableScale: Layer, @unchecked Sendable {
    public let store: ParameterStore
    public let scale: ParameterSlice
    public let output: Tensor, inputGradient: Tensor
    private var input: Tensor?

    public init(features: Int, maxBatch: Int, store: ParameterStore, initial: Float = 1) {
        self.store = store
        scale = store.allocateParameters(1)
        store.values(scale).pointee = initial
        output = Tensor(n: maxBatch, c: features)
        inputGradient = Tensor(n: maxBatch, c: features)
    }

    public var value: Float { store.values(scale).pointee }
    public var parameters: LayerParameters { LayerParameters(store: store, slices: [scale]) }
    public var spectralNorm: SpectralNorm? { nil }
    /// False skips ∂L/∂k in backward.
    public var computesParameterGradients = true
    public var outputShape: [Int] { [output.c] }
    public var inputShape: [Int] { [output.c] }
    /// k·x forward, k·dy backward, Σ dy·x for ∂L/∂k.
    public var flopsPerSample: LayerFLOPs { LayerFLOPs(forward: output.c, inputGradient: output.c, parameterGradient: 2 * output.c) }
    public func forwardGEMM(batch: Int) -> GEMMShape? { nil }

    public func forward(_ x: Tensor, mode: ForwardMode = .training) -> Tensor {
        precondition(x.count <= output.count, "TrainableScale: input larger than preallocated")
        input = x
        let k = value, src = x.data, dst = output.data
        for i in 0..<x.count { dst[i] = k * src[i] }
        return output.reshaped(n: x.n, c: x.c, h: x.h, w: x.w)
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("TrainableScale.backward before forward") }
        let k = value, src = x.data, dy = dOut.data, dx = inputGradient.data
        var dk = 0.0
        for i in 0..<x.count { dk += Double(dy[i] * src[i]); dx[i] = k * dy[i] }
        if computesParameterGradients { store.gradient(scale).pointee += Float(dk) }
        return inputGradient.reshaped(n: x.n, c: x.c, h: x.h, w: x.w)
    }
}

/// The leaky ReLU as loops over memory, shared by `LeakyReLU` and the layers that fuse it into
/// their output (Conv2d, UpsampleConv2d: `activationSlope`), where it runs inside their worker split.
public enum LeakyActivation {
    /// y = x > 0 ? x : slope·x (y may be x).
    @inline(__always)
    public static func apply(_ x: UnsafePointer<Float>, count: Int, slope: Float, into y: UnsafeMutablePointer<Float>) {
        for i in 0..<count { let v = x[i]; y[i] = v > 0 ? v : slope * v }
    }

    /// dx = dy where the activation is positive, slope·dy elsewhere. `sign` may be the input
    /// or the output of the activation (for slope ≥ 0 both are > 0 at the same places).
    @inline(__always)
    public static func gradient(_ dy: UnsafePointer<Float>, output sign: UnsafePointer<Float>, count: Int, slope: Float,
                                into dx: UnsafeMutablePointer<Float>) {
        for i in 0..<count { dx[i] = sign[i] > 0 ? dy[i] : slope * dy[i] }
    }
}
