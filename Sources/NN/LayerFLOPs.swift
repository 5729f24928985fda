import Tensor

/// Floating-point operations one sample costs in a layer, counted from its shapes (a
/// multiply-add counts 2, a comparison, max or square root 1), for the roofline of
/// `lipsweep-bench roofline`: the work the layer's own algorithm does (e.g. UpsampleConv2d's
/// sub-pixel convolution, Conv2d's fused 4×4 pooled kernel), not that of a naive equivalent.
/// Per-call constants (σ, a pooled kernel, per-channel statistics) are left out: they are
/// O(parameters), not O(samples); spectral normalisation is counted by `SpectralNorm` itself.
public struct LayerFLOPs: Sendable, Equatable {
    public var forward: Int
    /// ∂L/∂x (skipped for a network's first layer in the D step).
    public var inputGradient: Int
    /// ∂L/∂θ (skipped while the other network is trained).
    public var parameterGradient: Int

    public init(forward: Int, inputGradient: Int, parameterGradient: Int) {
        self.forward = forward; self.inputGradient = inputGradient; self.parameterGradient = parameterGradient
    }

    public static let zero = LayerFLOPs(forward: 0, inputGradient: 0, parameterGradient: 0)

    /// An elementwise map over `count` values: `forward` and `backward` operations per value.
    public static func elementwise(_ count: Int, forward: Int, backward: Int) -> LayerFLOPs {
        LayerFLOPs(forward: count * forward, inputGradient: count * backward, parameterGradient: 0)
    }

    /// An affine map y = W·patch + b over `positions` output positions, W `rows` × `cols`:
    /// forward 2·rows·cols per position plus the bias; ∂x = Wᵀ·dY; ∂W = dY·patchᵀ plus ∂b's sum.
    /// `scatter`: additions per position that fold ∂patch back onto x (col2im), 0 for a dense layer.
    static func affine(rows: Int, cols: Int, positions: Int, outputs: Int, scatter: Int = 0) -> LayerFLOPs {
        let gemm = 2 * rows * cols * positions
        return LayerFLOPs(forward: gemm + outputs, inputGradient: gemm + scatter * positions,
                          parameterGradient: gemm + outputs)
    }

    /// Plus a fused activation over `outputs` values (one operation forward, one backward).
    func activated(_ slope: Float?, outputs: Int) -> LayerFLOPs {
        guard slope != nil else { return self }
        return LayerFLOPs(forward: forward + outputs, inputGradient: inputGradient + outputs,
                          parameterGradient: parameterGradient)
    }

    public static func + (a: LayerFLOPs, b: LayerFLOPs) -> LayerFLOPs {
        LayerFLOPs(forward: a.forward + b.forward, inputGradient: a.inputGradient + b.inputGradient,
                   parameterGradient: a.parameterGradient + b.parameterGradient)
    }
}

/// One SGEMM call C (m × n) = A (m × k) · B (k × n): 2·m·n·k operations.
public struct GEMMShape: Sendable, Hashable, CustomStringConvertible {
    public let m: Int, n: Int, k: Int
    public init(m: Int, n: Int, k: Int) { self.m = m; self.n = n; self.k = k }
    public var flops: Int { 2 * m * n * k }
    public var description: String { "\(m)×\(n)×\(k)" }
}

extension SpectralNorm {
    /// One power-iteration step: Wᵀu and Wv (2·rows·cols each) and two normalisations
    /// (square, add and scale per entry).
    public var powerStepFLOPs: Int { 4 * rows * cols + 3 * (rows + cols) }
    /// σ = uᵀ(Wv) and W̄ = W/σ (without the power step a training forward adds).
    public var refreshFLOPs: Int { 3 * rows * cols + 2 * rows }
    /// ∂L/∂W += (G − ⟨G, W̄⟩·u vᵀ)/σ: the inner product (2 per entry) and the update (4 per entry).
    public var gradientFLOPs: Int { 6 * rows * cols + rows }
}

extension Adam {
    /// Per trainable parameter and step: m (3), v (4), and the update's square root,
    /// division, addition, multiplication, division and subtraction (6).
    public static let flopsPerParameter = 13
}
