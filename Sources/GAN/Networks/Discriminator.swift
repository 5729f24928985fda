import NN
import Tensor

/// The discriminator of docs/science.md §4 (the layer graph of torch_twin.py's `D`; soft-margin paper,
/// Appendix B). Input x (n, 1, 30, 30) and the standardised condition c (n, 5):
///   h3 = LReLU∘conv3∘LReLU∘conv2∘LReLU∘conv1(x)      conv1 s1 (30×30), conv2 s2 (15×15), conv3 s2 (8×8)
///   r  = regFC(flatten(LReLU(regConv(h3))))           regConv s2 w3→w2 (4×4), regFC w2·16→2
///   h5 = flatten(LReLU∘conv5∘LReLU∘conv4(h3))         conv4 s2 (4×4), conv5 s1
///   D  = k3·FC3(LReLU(k2·FC2(LReLU(k1·FC1([h5, r, c])))))
/// With spectral normalisation every conv and FC weight (the regressor's too) is divided by
/// its σ. r predicts (asym_along, asym_across) of x. k1..k3 are scalars in `store` (initial 1).
public final class Discriminator: DiscriminatorNetwork {
    public let config: ModelConfig
    public let maxBatch: Int
    public let spectralNorm: Bool
    public let store: ParameterStore
    /// Every conv carries its LeakyReLU fused (`activationSlope`): its output is the activation.
    let conv1: Conv2d, conv2: Conv2d, conv3: Conv2d, conv4: Conv2d, conv5: Conv2d
    let regConv: Conv2d, regFC: Linear
    /// FC1×k1 → FC2×k2 → FC3×k3 on [h5, r, c].
    let head: DiscriminatorHead
    /// c1–c5, rc, rf, then the head's layers: allocation order, the twin's names; conv1 reads x.
    public let network: NetworkLayers
    public let scaleSlices: [ParameterSlice]
    /// ∂L/∂h3 = the conv4 path's part + the regressor branch's part.
    private let h3Gradient: Tensor

    public init(config: ModelConfig, maxBatch: Int, spectralNorm: Bool, rng: inout SeededRandom) {
        self.config = config; self.maxBatch = maxBatch; self.spectralNorm = spectralNorm
        let store = ParameterStore()
        self.store = store
        let w = config.discriminatorWidths, f = config.fullyConnected, sn = spectralNorm
        func conv(_ cin: Int, _ side: Int, _ cout: Int, stride: Int, _ rng: inout SeededRandom) -> Conv2d {
            let layer = Conv2d(ConvGeometry(channels: cin, height: side, width: side, kernel: 3, stride: stride, padding: 1),
                               outChannels: cout, maxBatch: maxBatch, store: store, rng: &rng, spectralNorm: sn)
            layer.activationSlope = ModelConfig.leakySlope
            return layer
        }
        conv1 = conv(1, 30, w[0], stride: 1, &rng); conv1.computesInputGradient = false
        conv2 = conv(w[0], 30, w[1], stride: 2, &rng)
        conv3 = conv(w[1], 15, w[2], stride: 2, &rng)
        conv4 = conv(w[2], 8, w[3], stride: 2, &rng)
        conv5 = conv(w[3], 4, w[4], stride: 1, &rng)
        regConv = conv(w[2], 8, w[1], stride: 2, &rng)
        regFC = Linear(w[1] * 16, 2, maxBatch: maxBatch, store: store, rng: &rng, spectralNorm: sn)
        head = DiscriminatorHead(features: w[4] * 16, fullyConnected: f, maxBatch: maxBatch, store: store,
                                 spectralNorm: sn, rng: &rng)
        h3Gradient = Tensor(n: maxBatch, c: w[2], h: 8, w: 8)
        var network = NetworkLayers()
        for (name, layer) in [("c1", conv1), ("c2", conv2), ("c3", conv3), ("c4", conv4), ("c5", conv5), ("rc", regConv)] {
            network.append(name, layer)
        }
        network.append("rf", regFC)
        network.append(contentsOf: head.network)
        network.inputLayers = [conv1]
        self.network = network
        scaleSlices = head.scaleSlices
    }

    /// D(x, c) → (score (n, 1), regression r (n, 2)). `.training` advances every SN vector by
    /// one power-iteration step; `.evaluation` leaves them unchanged.
    public func forward(_ x: Tensor, conditions c: Tensor, mode: ForwardMode) -> (score: Tensor, regression: Tensor) {
        let n = x.n
        precondition(c.n == n && c.featureCount == ConditionLayout.dimension, "Discriminator: condition shape")
        let h3 = conv3.forward(conv2.forward(conv1.forward(x, mode: mode), mode: mode), mode: mode)
        let r = regFC.forward(regConv.forward(h3, mode: mode).flattened(), mode: mode)
        let h5 = conv5.forward(conv4.forward(h3, mode: mode), mode: mode)
        return (head.forward(features: h5.flattened(), regression: r, conditions: c, mode: mode), r)
    }

    /// Backward of the last forward given ∂L/∂score (n, 1) and the loss's own ∂L/∂r (n, 2)
    /// (the regression loss; zero rows where it does not apply). Accumulates ∂L/∂θ unless
    /// disabled; returns ∂L/∂x (n, 1, 30, 30), valid when `computesInputGradient`.
    @discardableResult
    public func backward(score dScore: Tensor, regression dRegression: Tensor) -> Tensor {
        let n = dScore.n
        let (dH5, dR) = head.backward(score: dScore, regression: dRegression)
        let w = config.discriminatorWidths
        let viaMain = conv4.backward(conv5.backward(dH5.reshaped(n: n, c: w[4], h: 4, w: 4)))
        let dRegFlat = regFC.backward(dR)
        let viaRegressor = regConv.backward(dRegFlat.reshaped(n: n, c: w[1], h: 4, w: 4))
        let sum = h3Gradient.data, a = viaMain.data, b = viaRegressor.data
        for i in 0..<(n * h3Gradient.featureCount) { sum[i] = a[i] + b[i] }
        return conv1.backward(conv2.backward(conv3.backward(h3Gradient.withBatch(n))))
    }

    /// The weights of the main path conv1–5, FC1–3 as (pointer, rows, cols): the matrices the
    /// last forward used (W̄ = W/σ under SN, else W).
    public var mainPathMatrices: [(weights: UnsafePointer<Float>, rows: Int, cols: Int)] {
        func matrix(_ w: LayerWeight) -> (UnsafePointer<Float>, Int, Int) {
            (UnsafePointer(w.spectralNorm?.normalizedWeight.data ?? store.values(w.slice)), w.rows, w.cols)
        }
        return [conv1.weight, conv2.weight, conv3.weight, conv4.weight, conv5.weight,
                head.fc1.weight, head.fc2.weight, head.fc3.weight].map(matrix)
    }

    /// L = Π|k_i|·Π σ(W_l) over conv1–5 and FC1–3 (docs/science.md §5.1), each σ by power
    /// iteration to convergence on the matrix the last forward used. This is the soft-margin
    /// paper's figure, not a proof-grade bound: it leaves out the regressor branch (which also
    /// feeds FC1) and treats σ of a reshaped kernel as the convolution's operator norm, which
    /// can be up to √(positions reading one pixel) times larger (docs/science.md §5.1, "The bound of the ResNet D").
    public func lipschitzBound() -> Double {
        let k = scales
        var bound = Double(abs(k[0]) * abs(k[1]) * abs(k[2]))
        for m in mainPathMatrices {
            bound *= SpectralNorm.largestSingularValue(of: m.weights, rows: m.rows, cols: m.cols, tolerance: 1e-9)
        }
        return bound
    }
}
