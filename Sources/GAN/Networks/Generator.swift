import NN
import Tensor

/// The generator of docs/science.md §4 (the layer graph of torch_twin.py's `G`):
///   [z, c] (d_z+5) → Linear→256 → LReLU → Linear→C·8·8 → LReLU → reshape C×8×8
///   → upsample×2 → Conv3×3 p1 C→C → LReLU → upsample×2 → Conv3×3 p1 C→C/2 → LReLU
///   → Conv3×3 p0 C/2→1 : (1, 30, 30), linear output in log(1+E) space.
/// The input rows (z then the standardised condition) are written by the caller into `input`.
/// All activations are preallocated for `maxBatch`.
public final class Generator: GeneratorNetwork {
    public let config: ModelConfig
    public let maxBatch: Int
    public let store = ParameterStore()
    /// (maxBatch, d_z + 5): row i = [z_i, c_i].
    public let input: Tensor
    let fc1: Linear, act1: LeakyReLU, fc2: Linear, act2: LeakyReLU
    /// upsample×2 → Conv3×3 p1 → LeakyReLU, fused (sub-pixel convolution, the same function;
    /// the activation applied by the layer, `activationSlope`).
    let conv1: UpsampleConv2d, conv2: UpsampleConv2d
    let conv3: Conv2d
    /// fc1, fc2, c1, c2, c3 (and the activations): allocation order, the twin's names.
    public let network: NetworkLayers

    /// PyTorch-default initialisation from `rng`, layers in the twin's order.
    public init(config: ModelConfig, maxBatch: Int, rng: inout SeededRandom) {
        self.config = config; self.maxBatch = maxBatch
        let c = config.width, inputs = config.latent + ConditionLayout.dimension
        input = Tensor(n: maxBatch, c: inputs)
        fc1 = Linear(inputs, 256, maxBatch: maxBatch, store: store, rng: &rng)
        fc1.computesInputGradient = false
        act1 = LeakyReLU(features: 256, maxBatch: maxBatch, slope: ModelConfig.leakySlope)
        fc2 = Linear(256, c * 64, maxBatch: maxBatch, store: store, rng: &rng)
        act2 = LeakyReLU(features: c * 64, maxBatch: maxBatch, slope: ModelConfig.leakySlope)
        conv1 = UpsampleConv2d(channels: c, height: 8, width: 8, outChannels: c, maxBatch: maxBatch,
                               store: store, rng: &rng)
        conv1.activationSlope = ModelConfig.leakySlope
        conv2 = UpsampleConv2d(channels: c, height: 16, width: 16, outChannels: c / 2, maxBatch: maxBatch,
                               store: store, rng: &rng)
        conv2.activationSlope = ModelConfig.leakySlope
        conv3 = Conv2d(ConvGeometry(channels: c / 2, height: 32, width: 32, kernel: 3, padding: 0),
                       outChannels: 1, maxBatch: maxBatch, store: store, rng: &rng)
        var network = NetworkLayers()
        network.append("fc1", fc1); network.append(nil, act1); network.append("fc2", fc2); network.append(nil, act2)
        network.append("c1", conv1); network.append("c2", conv2); network.append("c3", conv3)
        self.network = network
    }

    /// G on the first `n` rows of `input`: (n, 1, 30, 30). No layer depends on the mode.
    public func forward(batch n: Int, mode: ForwardMode = .training) -> Tensor {
        let c = config.width
        var h = act1.forward(fc1.forward(input.withBatch(n)))
        h = act2.forward(fc2.forward(h)).reshaped(n: n, c: c, h: 8, w: 8)
        return conv3.forward(conv2.forward(conv1.forward(h)))
    }

    /// Accumulates ∂L/∂θ into `store.gradients` given ∂L/∂output of the last forward.
    public func backward(_ dOut: Tensor) {
        var d = conv1.backward(conv2.backward(conv3.backward(dOut)))
        let n = d.n
        d = act2.backward(d.reshaped(n: n, c: config.width * 64))
        _ = fc1.backward(act1.backward(fc2.backward(d)))
    }
}

/// The condition vector c = (px, py, pz, x0, y0), standardised (docs/science.md §4).
public enum ConditionLayout {
    public static let dimension = 5
}
