import GAN
import TrialProtocol
import NN
import Tensor
import Testing

/// Per-layer output shapes and parameter counts against the PyTorch twin
/// (/work/shared/bench/torch_twin.py): each row is what `print(layer(x).shape[1:])` and
/// `sum(p.numel() for p in layer.parameters())` give there, worked out from its constructor
/// (Conv2d: out·in·9 + out; Linear: out·in + out).
@Suite struct ModelShapeTests {
    static let twinGenerator: [Preset: [LayerSummary]] = [
        .tiny: [
            LayerSummary(name: "fc1", outputShape: [256], parameters: 37 * 256 + 256),
            LayerSummary(name: "fc2", outputShape: [1024], parameters: 256 * 1024 + 1024),
            LayerSummary(name: "c1", outputShape: [16, 16, 16], parameters: 16 * 16 * 9 + 16),
            LayerSummary(name: "c2", outputShape: [8, 32, 32], parameters: 8 * 16 * 9 + 8),
            LayerSummary(name: "c3", outputShape: [1, 30, 30], parameters: 8 * 9 + 1),
        ],
        .small: [
            LayerSummary(name: "fc1", outputShape: [256], parameters: 69 * 256 + 256),
            LayerSummary(name: "fc2", outputShape: [2048], parameters: 256 * 2048 + 2048),
            LayerSummary(name: "c1", outputShape: [32, 16, 16], parameters: 32 * 32 * 9 + 32),
            LayerSummary(name: "c2", outputShape: [16, 32, 32], parameters: 16 * 32 * 9 + 16),
            LayerSummary(name: "c3", outputShape: [1, 30, 30], parameters: 16 * 9 + 1),
        ],
    ]
    static let twinDiscriminator: [Preset: [LayerSummary]] = [
        .tiny: [
            LayerSummary(name: "c1", outputShape: [8, 30, 30], parameters: 8 * 9 + 8),
            LayerSummary(name: "c2", outputShape: [16, 15, 15], parameters: 16 * 8 * 9 + 16),
            LayerSummary(name: "c3", outputShape: [32, 8, 8], parameters: 32 * 16 * 9 + 32),
            LayerSummary(name: "c4", outputShape: [32, 4, 4], parameters: 32 * 32 * 9 + 32),
            LayerSummary(name: "c5", outputShape: [32, 4, 4], parameters: 32 * 32 * 9 + 32),
            LayerSummary(name: "rc", outputShape: [16, 4, 4], parameters: 16 * 32 * 9 + 16),
            LayerSummary(name: "rf", outputShape: [2], parameters: 2 * 256 + 2),
            LayerSummary(name: "f1", outputShape: [64], parameters: 64 * (32 * 16 + 7) + 64),
            LayerSummary(name: "f2", outputShape: [32], parameters: 32 * 64 + 32),
            LayerSummary(name: "f3", outputShape: [1], parameters: 32 + 1),
            LayerSummary(name: "k", outputShape: [3], parameters: 3),
        ],
        .small: [
            LayerSummary(name: "c1", outputShape: [16, 30, 30], parameters: 16 * 9 + 16),
            LayerSummary(name: "c2", outputShape: [32, 15, 15], parameters: 32 * 16 * 9 + 32),
            LayerSummary(name: "c3", outputShape: [64, 8, 8], parameters: 64 * 32 * 9 + 64),
            LayerSummary(name: "c4", outputShape: [64, 4, 4], parameters: 64 * 64 * 9 + 64),
            LayerSummary(name: "c5", outputShape: [64, 4, 4], parameters: 64 * 64 * 9 + 64),
            LayerSummary(name: "rc", outputShape: [32, 4, 4], parameters: 32 * 64 * 9 + 32),
            LayerSummary(name: "rf", outputShape: [2], parameters: 2 * 512 + 2),
            LayerSummary(name: "f1", outputShape: [128], parameters: 128 * (64 * 16 + 7) + 128),
            LayerSummary(name: "f2", outputShape: [64], parameters: 64 * 128 + 64),
            LayerSummary(name: "f3", outputShape: [1], parameters: 64 + 1),
            LayerSummary(name: "k", outputShape: [3], parameters: 3),
        ],
    ]
    /// The totals for the twin.
    static let totals: [Preset: (g: Int, d: Int)] = [.tiny: (276_449, 64_918), .small: (558_273, 257_062)]

    @Test(arguments: [Preset.tiny, .small]) func layersMatchTheTwin(preset: Preset) {
        var rng = SeededRandom(seed: 1)
        let config = ModelConfig(preset: preset)
        let g = Generator(config: config, maxBatch: 2, rng: &rng)
        let d = Discriminator(config: config, maxBatch: 2, spectralNorm: true, rng: &rng)
        #expect(g.layers == Self.twinGenerator[preset]!)
        #expect(d.layers == Self.twinDiscriminator[preset]!)
        #expect(g.store.parameterCount == Self.totals[preset]!.g)
        #expect(d.store.parameterCount == Self.totals[preset]!.d)
        #expect(g.layers.map(\.parameters).reduce(0, +) == g.store.parameterCount)
        #expect(d.layers.map(\.parameters).reduce(0, +) == d.store.parameterCount)
        // The forward pass really produces those shapes.
        rng.fillNormal(g.input.withBatch(2).buffer)
        let x = g.forward(batch: 2)
        #expect([x.n, x.c, x.h, x.w] == [2, 1, 30, 30])
        let c = Tensor(n: 2, c: 5)
        let (score, r) = d.forward(x, conditions: c, mode: .training)
        #expect([score.n, score.featureCount, r.n, r.featureCount] == [2, 1, 2, 2])
        #expect(d.scales == SIMD3(1, 1, 1))
    }

    /// PyTorch's default initialisation: every weight and bias within ±1/√fan_in, and the
    /// draws fill that range (max |w| near the bound), seeded.
    @Test func initialisationIsPyTorchDefault() {
        var rng = SeededRandom(seed: 3)
        let g = Generator(config: ModelConfig(preset: .tiny), maxBatch: 1, rng: &rng)
        let fc1 = UnsafeBufferPointer(start: g.store.parameters, count: 37 * 256)
        let bound = 1 / Float(37).squareRoot()
        #expect(fc1.allSatisfy { abs($0) <= bound })
        #expect(fc1.map(abs).max()! > 0.99 * bound)
        var again = SeededRandom(seed: 3)
        let g2 = Generator(config: ModelConfig(preset: .tiny), maxBatch: 1, rng: &again)
        #expect(Array(UnsafeBufferPointer(start: g2.store.parameters, count: g2.store.parameterCount))
            == Array(UnsafeBufferPointer(start: g.store.parameters, count: g.store.parameterCount)))
    }
}
