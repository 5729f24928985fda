import NN
import Tensor

/// Upper bounds on the ℓ2 operator norms of D's linear pieces, from which the ResNet family's
/// Lipschitz bound is assembled (docs/science.md §5.1, "The bound of the ResNet D").
public enum OperatorNormBound {
    /// σ(W) of a layer's matrix as the last forward used it (W̄ = W/σ_u under SN, else W), by
    /// power iteration to convergence (relative change < 1e-9; the training u is untouched).
    /// For a linear layer and a 1×1 convolution this is the operator norm itself.
    public static func matrix(_ w: LayerWeight, store: ParameterStore) -> Double {
        let m = UnsafePointer(w.spectralNorm?.normalizedWeight.data ?? store.values(w.slice))
        return SpectralNorm.largestSingularValue(of: m, rows: w.rows, cols: w.cols, tolerance: 1e-9)
    }

    /// ‖conv‖₂ ≤ ⌈k/s⌉·σ(W), W the kernel as an out × (in·k·k) matrix. Output pixel q reads the
    /// patch P_q x (in·k·k values, zeros in the padding), so
    ///   ‖y‖² = Σ_q ‖W P_q x‖² ≤ σ²·Σ_q ‖P_q x‖² = σ²·Σ_pixels m(p)·‖x_p‖² ≤ σ²·m·‖x‖²,
    /// m(p) the number of patches pixel p lies in, at most ⌈k/s⌉ per axis (9 for 3×3 stride 1,
    /// 4 for 3×3 stride 2). σ(W) alone is not a bound: for equal taps it is ‖conv‖/3.
    public static func convolution(_ geometry: ConvGeometry, sigma: Double) -> Double {
        Double((geometry.kernel + geometry.stride - 1) / geometry.stride) * sigma
    }

    public static func convolution(_ conv: Conv2d, store: ParameterStore) -> Double {
        convolution(conv.geometry, sigma: matrix(conv.weight, store: store))
    }

    /// 2×2 average pooling, stride 2: disjoint windows, (Σ₄ x)²/16 ≤ Σ₄ x²/4.
    public static let averagePool2x2 = 0.5

    /// Sum over an H×W plane: |Σ x| ≤ √(H·W)·‖x‖ (Cauchy–Schwarz).
    public static func sumPool(height: Int, width: Int) -> Double { Double(height * width).squareRoot() }
}
