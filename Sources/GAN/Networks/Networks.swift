import NN
import Tensor

/// A network as an ordered collection of layers over one parameter store.
public protocol LayeredNetwork: AnyObject {
    /// Parameters, Adam moments and persistent buffers (spectral norms' u, v; the ResNet's
    /// batch-norm running statistics): what a checkpoint saves.
    var store: ParameterStore { get }
    /// Every layer in allocation order, under the PyTorch twin's module names.
    var network: NetworkLayers { get }
}

extension LayeredNetwork {
    /// Per-module output shapes and parameter counts, in the PyTorch twin's order.
    public var layers: [LayerSummary] {
        network.modules.map { LayerSummary(name: $0.name, outputShape: $0.shape, parameters: $0.parameters) }
    }
}

/// What the trainer, the evaluator and `generate` need of a generator, whatever its family
/// (docs/science.md §4 DCGAN, §4.1 ResNet).
public protocol GeneratorNetwork: LayeredNetwork {
    var config: ModelConfig { get }
    var maxBatch: Int { get }
    /// (maxBatch, d_z + 5): row i = [z_i, c_i], written by the caller.
    var input: Tensor { get }
    /// G on the first `batch` rows of `input`: (batch, 1, 30, 30). `.training` normalises with
    /// batch statistics and updates the running ones; `.evaluation` uses the running ones
    /// (generation, evaluation). The DCGAN has no such state and ignores the mode.
    func forward(batch: Int, mode: ForwardMode) -> Tensor
    /// Accumulates ∂L/∂θ given ∂L/∂output of the last forward.
    func backward(_ dOut: Tensor)
}

/// What the trainer needs of a discriminator: D(x, c) → (score, regression), its backward,
/// the k_i of docs/science.md §5.1 and the Lipschitz bound of its family.
public protocol DiscriminatorNetwork: LayeredNetwork {
    var config: ModelConfig { get }
    var maxBatch: Int { get }
    var spectralNorm: Bool { get }
    /// The k_i slices (k1, k2, k3) in `store`.
    var scaleSlices: [ParameterSlice] { get }
    /// D(x, c) → (score (n, 1), regression r (n, 2)). `.training` advances every SN vector by
    /// one power-iteration step; `.evaluation` leaves them unchanged.
    func forward(_ x: Tensor, conditions c: Tensor, mode: ForwardMode) -> (score: Tensor, regression: Tensor)
    /// Backward of the last forward given ∂L/∂score and the loss's own ∂L/∂r; returns ∂L/∂x
    /// (valid when `computesInputGradient`).
    @discardableResult
    func backward(score dScore: Tensor, regression dRegression: Tensor) -> Tensor
    /// The Lipschitz bound L of docs/science.md §5.1 for this family, from the weights the last
    /// forward used (W̄ = W/σ_u under SN).
    func lipschitzBound() -> Double
}

extension DiscriminatorNetwork {
    /// Current k1, k2, k3.
    public var scales: SIMD3<Float> {
        let k = scaleSlices
        return SIMD3(store.values(k[0]).pointee, store.values(k[1]).pointee, store.values(k[2]).pointee)
    }

    /// False skips ∂L/∂x (the D step does not need it): the switch of the layers reading x.
    public var computesInputGradient: Bool {
        get { network.computesInputGradient }
        set { network.computesInputGradient = newValue }
    }

    /// False skips every ∂L/∂θ (the G step needs only ∂D/∂x); true when any layer computes them.
    public var computesParameterGradients: Bool {
        get { network.layers.contains { $0.computesParameterGradients } }
        set { network.setComputesParameterGradients(newValue) }
    }

    /// `steps` extra power-iteration steps on every SN vector (no forward). The twin (PyTorch's
    /// spectral_norm) advances u once per forward call in training mode; its D step calls D
    /// twice (real, fake), so a D step here, which runs both as one batch, adds one step.
    public func powerIterate(steps: Int) { network.powerIterate(steps: steps) }
}

extension ModelConfig {
    /// The generator of this config's family, initialised from `rng`.
    public func makeGenerator(maxBatch: Int, rng: inout SeededRandom) -> any GeneratorNetwork {
        switch architecture {
        case .dcgan: Generator(config: self, maxBatch: maxBatch, rng: &rng)
        case .resnet: ResNetGenerator(config: self, maxBatch: maxBatch, rng: &rng)
        }
    }

    /// The discriminator of this config's family, initialised from `rng`.
    public func makeDiscriminator(maxBatch: Int, spectralNorm: Bool, rng: inout SeededRandom) -> any DiscriminatorNetwork {
        switch architecture {
        case .dcgan: Discriminator(config: self, maxBatch: maxBatch, spectralNorm: spectralNorm, rng: &rng)
        case .resnet: ResNetDiscriminator(config: self, maxBatch: maxBatch, spectralNorm: spectralNorm, rng: &rng)
        }
    }
}
