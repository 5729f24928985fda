import Tensor

/// Leaky ReLU y = x for x > 0, slope·x otherwise (slope 0.2 in SPEC §4; slope 0 is ReLU).
/// ∂y/∂x = 1 for x > 0, slope otherwise (PyTorch's choice at 0).
public struct LeakyReLU: @unchecked Sendable {
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

    public mutating func forward(_ x: Tensor) -> Tensor {
        precondition(x.count <= output.count, "LeakyReLU: input larger than preallocated")
        input = x
        let src = x.data, dst = output.data, a = slope
        for i in 0..<x.count { let v = src[i]; dst[i] = v > 0 ? v : a * v }
        return output.reshaped(n: x.n, c: x.c, h: x.h, w: x.w)
    }

    public mutating func backward(_ dOut: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("LeakyReLU.backward before forward") }
        let src = x.data, dy = dOut.data, dx = inputGradient.data, a = slope
        for i in 0..<x.count { dx[i] = src[i] > 0 ? dy[i] : a * dy[i] }
        return inputGradient.reshaped(n: x.n, c: x.c, h: x.h, w: x.w)
    }
}

/// y = k·x with one trainable scalar k (the k_i of SPEC §5.1, initial 1).
/// ∂L/∂k = Σ dy·x, ∂L/∂x = k·dy.
public struct TrainableScale: @unchecked Sendable {
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

    public mutating func forward(_ x: Tensor) -> Tensor {
        precondition(x.count <= output.count, "TrainableScale: input larger than preallocated")
        input = x
        let k = value, src = x.data, dst = output.data
        for i in 0..<x.count { dst[i] = k * src[i] }
        return output.reshaped(n: x.n, c: x.c, h: x.h, w: x.w)
    }

    public mutating func backward(_ dOut: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("TrainableScale.backward before forward") }
        let k = value, src = x.data, dy = dOut.data, dx = inputGradient.data
        var dk = 0.0
        for i in 0..<x.count { dk += Double(dy[i] * src[i]); dx[i] = k * dy[i] }
        store.gradient(scale).pointee += Float(dk)
        return inputGradient.reshaped(n: x.n, c: x.c, h: x.h, w: x.w)
    }
}
