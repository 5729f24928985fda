import Tensor

/// The affine half of conditional batch normalisation, linear in a condition vector c (n, k):
///   y[s, ch, p] = γ[s, ch]·x[s, ch, p] + β[s, ch],   γ = 1 + W_γ·c_s,   β = W_β·c_s
/// with W_γ, W_β (channels × k) trainable, no bias (twin: two Linear(k, channels, bias=False)).
/// Both start at zero, so at initialisation the layer is the identity for every condition (the
/// usual γ = 1, β = 0 start of batch norm's affine); how the condition shifts and scales each
/// channel is learnt.
/// With `activationSlope` set the output is LeakyReLU(γx + β) (slope 0: ReLU), and backward
/// first multiplies ∂L/∂y by the activation's derivative.
/// Backward (g = ∂L/∂(γx + β)):
///   ∂L/∂x = γ·g,   ∂L/∂W_γ[ch, j] += Σ_s c_s[j]·Σ_p g·x,   ∂L/∂W_β[ch, j] += Σ_s c_s[j]·Σ_p g.
/// The condition is the layer's second input, bound at construction: `conditions` (maxBatch, k)
/// is the network's preallocated condition tensor, whose first n rows a forward of n samples
/// reads. No gradient flows to the condition (it is data). Channels are split over the workers (each
/// owns its rows of ∂W_γ, ∂W_β), so the numbers do not depend on the thread count.
public final class ConditionalAffine: Layer, @unchecked Sendable {
    public let channels: Int, height: Int, width: Int, conditionSize: Int, maxBatch: Int
    public let store: ParameterStore
    /// W_γ then W_β, each (channels × conditionSize) row-major.
    public let gammaWeight: ParameterSlice, betaWeight: ParameterSlice
    public let output: Tensor, inputGradient: Tensor
    /// Fused LeakyReLU of this slope on the output (nil: none).
    public var activationSlope: Float? = nil
    /// False skips ∂L/∂W_γ, ∂L/∂W_β in backward.
    public var computesParameterGradients = true
    /// Worker threads; nil follows `WorkSplit.threads`.
    public var threads: Int?
    /// γ and β per (sample, channel) of the last forward.
    private let gamma: TensorStorage, beta: TensorStorage
    /// (maxBatch, conditionSize): the condition rows the forward reads.
    public let conditions: Tensor
    private var input: Tensor?

    /// `conditions`: (≥ maxBatch, conditionSize), read by every forward.
    public init(channels: Int, height: Int, width: Int, conditions: Tensor, maxBatch: Int, store: ParameterStore) {
        precondition(conditions.n >= maxBatch, "ConditionalAffine: \(conditions.n) condition rows for batches up to \(maxBatch)")
        self.channels = channels; self.height = height; self.width = width
        let conditionSize = conditions.featureCount
        self.conditionSize = conditionSize; self.maxBatch = maxBatch; self.store = store
        self.conditions = conditions
        gammaWeight = store.allocateParameters(channels * conditionSize)
        betaWeight = store.allocateParameters(channels * conditionSize)
        output = Tensor(n: maxBatch, c: channels, h: height, w: width)
        inputGradient = Tensor(n: maxBatch, c: channels, h: height, w: width)
        gamma = TensorStorage(capacity: maxBatch * channels)
        beta = TensorStorage(capacity: maxBatch * channels)
    }

    public var parameters: LayerParameters { LayerParameters(store: store, slices: [gammaWeight, betaWeight]) }
    public var spectralNorm: SpectralNorm? { nil }
    public var outputShape: [Int] { [channels, height, width] }
    public var inputShape: [Int] { [channels, height, width] }
    /// γ, β (2·2·channels·k); γx + β per value (2); backward γ·g (1) and the sums Σ g·x, Σ g (3)
    /// then their products with c (2·2·channels·k); plus a fused activation.
    public var flopsPerSample: LayerFLOPs {
        let values = channels * height * width, conditioning = 4 * channels * conditionSize
        return LayerFLOPs(forward: 2 * values + conditioning, inputGradient: values, parameterGradient: 3 * values + conditioning)
            .activated(activationSlope, outputs: values)
    }
    public func forwardGEMM(batch: Int) -> GEMMShape? { nil }

    /// x: (n, channels, height, width) with the first n rows of `conditions` → (n, channels, height, width).
    public func forward(_ x: Tensor, mode: ForwardMode = .training) -> Tensor {
        let n = x.n, plane = height * width, cs = channels, k = conditionSize
        precondition(x.c == channels && x.h == height && x.w == width && n <= maxBatch,
                     "ConditionalAffine: input (\(n), \(x.c), \(x.h), \(x.w)) ≠ (≤\(maxBatch), \(channels), \(height), \(width))")
        let c = conditions.withBatch(n)
        input = x
        let wg = UnsafePointer(store.values(gammaWeight)), wb = UnsafePointer(store.values(betaWeight))
        let cp = UnsafePointer(c.data), xp = UnsafePointer(x.data), y = output.data
        let gm = gamma.data, bt = beta.data, slope = activationSlope
        WorkSplit.run(items: cs, workers: WorkSplit.workers(for: cs, threads: threads)) { _, range in
            for ch in range {
                for s in 0..<n {
                    var g: Float = 1, b: Float = 0
                    for j in 0..<k { g += wg[ch * k + j] * cp[s * k + j]; b += wb[ch * k + j] * cp[s * k + j] }
                    gm[s * cs + ch] = g; bt[s * cs + ch] = b
                    let at = (s * cs + ch) * plane, src = xp + at, dst = y + at
                    if let slope {
                        for p in 0..<plane { let v = g * src[p] + b; dst[p] = v > 0 ? v : slope * v }
                    } else {
                        for p in 0..<plane { dst[p] = g * src[p] + b }
                    }
                }
            }
        }
        return output.withBatch(n)
    }

    /// dOut: ∂L/∂y of the last forward. Accumulates ∂L/∂W_γ, ∂L/∂W_β; returns ∂L/∂x.
    public func backward(_ dOut: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("ConditionalAffine.backward before forward") }
        let n = x.n, plane = height * width, cs = channels, k = conditionSize, c = conditions.withBatch(n)
        precondition(dOut.n == n && dOut.featureCount == channels * plane, "ConditionalAffine.backward: gradient shape")
        let dwg = store.gradient(gammaWeight), dwb = store.gradient(betaWeight)
        let cp = UnsafePointer(c.data), xp = UnsafePointer(x.data), dy = UnsafePointer(dOut.data)
        let y = UnsafePointer(output.data), dx = inputGradient.data, gm = UnsafePointer(gamma.data)
        let slope = activationSlope, accumulates = computesParameterGradients
        WorkSplit.run(items: cs, workers: WorkSplit.workers(for: cs, threads: threads)) { _, range in
            for ch in range {
                for s in 0..<n {
                    let at = (s * cs + ch) * plane, g = dy + at, xs = xp + at, d = dx + at, g0 = gm[s * cs + ch]
                    var sumG: Float = 0, sumGX: Float = 0
                    if let slope {
                        let ys = y + at
                        for p in 0..<plane {
                            let v = ys[p] > 0 ? g[p] : slope * g[p]
                            sumG += v; sumGX += v * xs[p]; d[p] = g0 * v
                        }
                    } else {
                        for p in 0..<plane { let v = g[p]; sumG += v; sumGX += v * xs[p]; d[p] = g0 * v }
                    }
                    if accumulates {
                        for j in 0..<k {
                            dwg[ch * k + j] += cp[s * k + j] * sumGX
                            dwb[ch * k + j] += cp[s * k + j] * sumG
                        }
                    }
                }
            }
        }
        return inputGradient.withBatch(n)
    }
}
