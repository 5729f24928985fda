import Tensor

/// One layer of a network: a forward/backward pair over preallocated tensors (llm.c's layout),
/// its trainable parameters as slices of the network's one `ParameterStore`, whether its
/// weight is spectrally normalised, and the per-sample shape it reports.
///
/// A network is an ordered collection of layers (`NetworkLayers`), kept in allocation order, so
/// "every layer", "every spectral norm" and "every parameter" are computed from that one list.
/// Layers are classes: the list and the network's named properties are the same objects, and
/// walking the list (`any Layer`, a class existential) costs no allocation.
///
/// Contract: `backward` follows the forward whose input it differentiates; it accumulates
/// ∂L/∂θ into the store's gradients (unless `computesParameterGradients` is false) and returns
/// ∂L/∂x. Layers with more than one input (`ResidualSum`, `Concat`) are junctions, not layers.
public protocol Layer: AnyObject {
    /// y = f(x). `.training` advances a spectral norm's power iteration and uses batch
    /// statistics; `.evaluation` does neither. Layers that have no such state ignore the mode.
    func forward(_ x: Tensor, mode: ForwardMode) -> Tensor
    /// ∂L/∂x of the last forward given ∂L/∂y; accumulates ∂L/∂θ.
    func backward(_ dOut: Tensor) -> Tensor
    /// The trainable parameters, in allocation order (empty for a parameterless layer).
    var parameters: LayerParameters { get }
    /// The weight's spectral normalisation (nil: the layer has none).
    var spectralNorm: SpectralNorm? { get }
    /// False skips ∂L/∂θ in backward (e.g. D while only G is trained).
    var computesParameterGradients: Bool { get set }
    /// The output shape of one sample: (c, h, w), or (features) for a feature vector.
    var outputShape: [Int] { get }
    /// The input shape of one sample, as `outputShape`.
    var inputShape: [Int] { get }
    /// The operations one sample costs (`LayerFLOPs`), counted from the shapes.
    var flopsPerSample: LayerFLOPs { get }
    /// The shape of the largest SGEMM one forward of `batch` samples issues (nil: it issues none).
    func forwardGEMM(batch: Int) -> GEMMShape?
}

extension Layer {
    /// Whether the layer's weight is divided by its σ (Miyato et al.; docs/science.md §5.1).
    public var isSpectrallyNormalised: Bool { spectralNorm != nil }
}

/// A layer's parameters: its slices of `store` (nil when it has none), in allocation order.
/// `values` and `gradients` are views into the store's two buffers, not copies.
public struct LayerParameters: Sendable {
    public let store: ParameterStore?
    public let slices: [ParameterSlice]

    public init(store: ParameterStore, slices: [ParameterSlice]) {
        self.store = store; self.slices = slices
    }

    private init() { store = nil; slices = [] }

    /// A parameterless layer's.
    public static let none = LayerParameters()

    /// Floats over all slices.
    public var count: Int { slices.reduce(0) { $0 + $1.count } }

    public var values: [UnsafeMutableBufferPointer<Float>] {
        guard let store else { return [] }
        return slices.map { UnsafeMutableBufferPointer(start: store.values($0), count: $0.count) }
    }

    public var gradients: [UnsafeMutableBufferPointer<Float>] {
        guard let store else { return [] }
        return slices.map { UnsafeMutableBufferPointer(start: store.gradient($0), count: $0.count) }
    }
}

/// A layer with no trainable parameters and no spectral norm (activations, pooling, reshaping,
/// batch norm without affine): conforming says so once instead of repeating the empty answers.
public protocol ParameterlessLayer: Layer {}

extension ParameterlessLayer {
    public var parameters: LayerParameters { .none }
    public var spectralNorm: SpectralNorm? { nil }
    /// Always false: there is nothing to skip.
    public var computesParameterGradients: Bool {
        get { false }
        set {}
    }
    public func forwardGEMM(batch: Int) -> GEMMShape? { nil }
}

/// A network's layers in allocation order, each under the name its PyTorch twin gives the
/// module it belongs to (nil: the twin has no module for it, e.g. a functional activation).
/// Consecutive layers with one name form one module (batch norm + conditional affine = `cbn`,
/// the three k scales = `k`).
public struct NetworkLayers {
    public struct Entry {
        public let name: String?
        public let layer: any Layer
        /// The shape the twin's module reports when it differs from the layer's own output:
        /// a pooling or upsampling that the layer's placement commutes or fuses.
        public let reportedShape: [Int]?
    }

    public private(set) var entries: [Entry] = []
    /// Every layer, in allocation order.
    public private(set) var layers: [any Layer] = []
    /// The spectral norms of every normalised layer, in allocation order (for per-step loops
    /// without allocation). Copies taken at `append`: their W, u and v live in the store, so
    /// `powerIterate` moves the layers' own; σ and W̄ are the layer's (`spectralNorm`).
    public private(set) var spectralNorms: [SpectralNorm] = []
    /// The layers that read the network's input x: their `computesInputGradient` is whether
    /// the network computes ∂L/∂x.
    public var inputLayers: [AffineLayer] = []

    public init() {}

    /// Appends `layer` as (part of) the twin's module `name`.
    public mutating func append(_ name: String?, _ layer: any Layer, reportedShape: [Int]? = nil) {
        entries.append(Entry(name: name, layer: layer, reportedShape: reportedShape))
        layers.append(layer)
        if let sn = layer.spectralNorm { spectralNorms.append(sn) }
    }

    /// Appends a block's layers, their module names under `prefix` ("b1" + "c1" → "b1.c1").
    public mutating func append(contentsOf block: NetworkLayers, prefix: String? = nil) {
        for e in block.entries {
            append(e.name.map { name in prefix.map { "\($0).\(name)" } ?? name }, e.layer, reportedShape: e.reportedShape)
        }
    }

    /// Sets `computesParameterGradients` on every layer.
    public func setComputesParameterGradients(_ on: Bool) {
        for layer in layers { layer.computesParameterGradients = on }
    }

    /// `steps` power-iteration steps on every spectral norm's u, v (no forward).
    public func powerIterate(steps: Int) {
        for sn in spectralNorms { sn.powerIterate(steps: steps) }
    }

    /// Whether ∂L/∂x of the network's input is computed (`inputLayers`); setting it sets theirs.
    public var computesInputGradient: Bool {
        get { inputLayers.allSatisfy(\.computesInputGradient) }
        nonmutating set { for layer in inputLayers { layer.computesInputGradient = newValue } }
    }

    /// Floats of every layer's parameters.
    public var parameterCount: Int { layers.reduce(0) { $0 + $1.parameters.count } }

    /// The twin's modules: (name, shape, parameter count), consecutive entries of one name
    /// merged (parameters summed, the last member's shape).
    public var modules: [(name: String, shape: [Int], parameters: Int)] {
        var out: [(name: String, shape: [Int], parameters: Int)] = []
        for e in entries {
            guard let name = e.name else { continue }
            let shape = e.reportedShape ?? e.layer.outputShape, count = e.layer.parameters.count
            if let last = out.last, last.name == name {
                out[out.count - 1] = (name, shape, last.parameters + count)
            } else {
                out.append((name, shape, count))
            }
        }
        return out
    }
}

/// What every layer with one weight matrix W and bias b (`LayerWeight`) keeps: Linear, Conv2d,
/// Conv1x1 and UpsampleConv2d, each an affine map of its input (y = W·patch(x) + b), subclass
/// it. It holds the weight, the preallocated output and input gradient (for `maxBatch`
/// samples), the two gradient switches and the thread count; the layer's parameters and
/// spectral norm are its weight's. The subclasses are final, so these stay direct accesses.
public class AffineLayer: @unchecked Sendable {
    /// W (and its SN, whose forward refreshes W̄) and b.
    public internal(set) var weight: LayerWeight
    public let output: Tensor
    public let inputGradient: Tensor
    /// False skips ∂L/∂x in backward (a first layer, whose input needs no gradient).
    public var computesInputGradient = true
    /// False skips ∂L/∂W and ∂L/∂b (e.g. D while only G is trained: ∂L/∂x is all that is needed).
    public var computesParameterGradients = true
    /// Worker threads; nil follows `WorkSplit.threads`.
    public var threads: Int?
    /// The last forward's input, which backward differentiates at.
    var input: Tensor?

    init(weight: LayerWeight, output: Tensor, inputGradient: Tensor) {
        self.weight = weight; self.output = output; self.inputGradient = inputGradient
    }

    /// The largest batch the preallocated tensors hold.
    public var maxBatch: Int { output.n }
    public var bias: ParameterSlice { weight.bias }
    public var parameters: LayerParameters { weight.parameters }
    public var spectralNorm: SpectralNorm? { weight.spectralNorm }
}
