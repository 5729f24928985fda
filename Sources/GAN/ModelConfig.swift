import NN
import Tensor

/// The named model sizes of SPEC §4.
public enum Preset: String, Codable, CaseIterable, Sendable {
    case tiny, small, paper
}

/// The model family (`model.arch`): the DCGAN-style networks of docs/science.md §4 or the
/// ResNet family of the HingeRLC paper, §4.1. Both use the same preset widths.
public enum Architecture: String, Codable, CaseIterable, Sendable {
    case dcgan, resnet
}

/// Layer sizes of the conditional GAN (SPEC §4). Every field may override its preset's value.
public struct ModelConfig: Codable, Sendable, Equatable {
    /// Slope of every LeakyReLU in G and D (SPEC §4; torch_twin.py's 0.2).
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

    public init(preset: Preset, architecture: Architecture = .dcgan) {
        switch preset {
        case .tiny: self.init(latent: 32, width: 16, discriminatorWidths: [8, 16, 32, 32, 32], fullyConnected: [64, 32],
                              architecture: architecture)
        case .small: self.init(latent: 64, width: 32, discriminatorWidths: [16, 32, 64, 64, 64], fullyConnected: [128, 64],
                               architecture: architecture)
        case .paper: self.init(latent: 256, width: 64, discriminatorWidths: [32, 64, 128, 128, 128],
                               fullyConnected: [256, 128], architecture: architecture)
        }
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

    /// A description of the first invalid field, or nil.
    public var problem: String? {
        if latent < 1 { return "d_z must be ≥ 1 (got \(latent))" }
        if width < 2 || width % 2 != 0 { return "width must be an even number ≥ 2 (got \(width))" }
        if discriminatorWidths.count != 5 || discriminatorWidths.contains(where: { $0 < 1 }) {
            return "d_widths must be 5 positive integers (got \(discriminatorWidths))"
        }
        if fullyConnected.count != 2 || fullyConnected.contains(where: { $0 < 1 }) {
            return "fc must be 2 positive integers (got \(fullyConnected))"
        }
        return nil
    }
}

/// The non-model defaults of a preset (SPEC §4's table).
public struct PresetDefaults: Sendable, Equatable {
    public var batch: Int, trainEvents: Int, testEvents: Int, epochs: Int, clusters: Int, prdRuns: Int

    public init(_ preset: Preset) {
        switch preset {
        case .tiny: (batch, trainEvents, testEvents, epochs, clusters, prdRuns) = (64, 6_000, 2_000, 30, 50, 3)
        case .small: (batch, trainEvents, testEvents, epochs, clusters, prdRuns) = (256, 10_000, 5_000, 30, 100, 3)
        case .paper: (batch, trainEvents, testEvents, epochs, clusters, prdRuns) = (256, 60_000, 60_000, 150, 400, 10)
        }
    }
}

/// One layer's name, output shape per sample (c, h, w) and parameter count, for comparing
/// the network with the PyTorch twin.
public struct LayerSummary: Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var outputShape: [Int]
    public var parameters: Int
    public var description: String { "\(name) \(outputShape) \(parameters)" }

    public init(name: String, outputShape: [Int], parameters: Int) {
        self.name = name; self.outputShape = outputShape; self.parameters = parameters
    }

    init(_ name: String, _ layer: Linear) {
        self.init(name: name, outputShape: [layer.output.c],
                  parameters: layer.weight.slice.count + layer.bias.count)
    }

    /// A convolution with fused average pooling reports its convolution's output, as the
    /// twin's Conv2d before F.avg_pool2d.
    init(_ name: String, _ layer: Conv2d) {
        self.init(name: name, outputShape: [layer.output.c, layer.geometry.outHeight, layer.geometry.outWidth],
                  parameters: layer.weight.slice.count + layer.bias.count)
    }
}
