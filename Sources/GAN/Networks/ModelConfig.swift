import NN
import Tensor
import TrialProtocol

/// Layer sizes of the conditional GAN (docs/science.md §4) and its family (`model.arch`:
/// DCGAN-style §4, or the ResNet family of §4.1, which uses w1…w4). Every size may override its
/// preset's value.
public struct ModelConfig: Codable, Sendable, Equatable {
    /// Slope of every LeakyReLU in G and D (docs/science.md §4; torch_twin.py's 0.2).
    public static let leakySlope: Float = 0.2

    /// d_z, the latent dimension of G.
    public var latent: Int
    /// C, G's convolution width (the last conv has C/2 channels).
    public var width: Int
    /// w1…w5, D's convolution widths.
    public var discriminatorWidths: [Int]
    /// f1, f2, D's fully connected widths.
    public var fullyConnected: [Int]
    /// The model family; the ResNet D uses w1…w4 of `discriminatorWidths`.
    public var architecture: Architecture

    public init(latent: Int, width: Int, discriminatorWidths: [Int], fullyConnected: [Int],
                architecture: Architecture = .dcgan) {
        self.latent = latent; self.width = width
        self.discriminatorWidths = discriminatorWidths; self.fullyConnected = fullyConnected
        self.architecture = architecture
    }

    /// The sizes of a preset (docs/science.md §4's table).
    public init(preset: Preset, architecture: Architecture = .dcgan) {
        var model = TrialConfig.Model(preset: preset)
        model.arch = architecture
        self.init(model)
    }

    /// The sizes of a trial config's model section: each override, else the preset's value.
    public init(_ model: TrialConfig.Model) {
        self.init(latent: model.latent, width: model.resolvedWidth, discriminatorWidths: model.discriminatorWidths,
                  fullyConnected: model.fullyConnected, architecture: model.architecture)
    }

    private enum CodingKeys: String, CodingKey {
        case latent, width, discriminatorWidths, fullyConnected, architecture = "arch"
    }

    /// A config written before the ResNet family existed (no `arch`) is a DCGAN one.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        latent = try c.decode(Int.self, forKey: .latent)
        width = try c.decode(Int.self, forKey: .width)
        discriminatorWidths = try c.decode([Int].self, forKey: .discriminatorWidths)
        fullyConnected = try c.decode([Int].self, forKey: .fullyConnected)
        architecture = try c.decodeIfPresent(Architecture.self, forKey: .architecture) ?? .dcgan
    }
}

/// One module's name, output shape per sample (c, h, w) and parameter count, for comparing
/// the network with the PyTorch twin (`LayeredNetwork.layers`, from its `NetworkLayers`).
public struct LayerSummary: Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var outputShape: [Int]
    public var parameters: Int
    public var description: String { "\(name) \(outputShape) \(parameters)" }

    public init(name: String, outputShape: [Int], parameters: Int) {
        self.name = name; self.outputShape = outputShape; self.parameters = parameters
    }
}
