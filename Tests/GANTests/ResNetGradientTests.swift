import GAN
import NN
import Tensor
import Testing

/// The whole ResNet D (every layer, both branches, the k_i) and G through D against finite
/// differences, by `ModelGradientTests`' method (the fundamental theorem of calculus along a
/// random direction per block: exact across LeakyReLU/ReLU kinks; 5% per block, a backward
/// 10% off fails). G runs in training mode, so its batch norms' gradients go through the batch
/// statistics; D in evaluation mode after one training forward (the same SN u, v throughout).
@Suite struct ResNetGradientTests {
    static let config = ModelConfig(latent: 6, width: 4, discriminatorWidths: [3, 4, 5, 4, 3], fullyConnected: [6, 5],
                                    architecture: .resnet)

    @Test(arguments: [true, false]) func discriminator(spectralNorm: Bool) {
        var rng = SeededRandom(seed: 13)
        let d = ResNetDiscriminator(config: Self.config, maxBatch: 3, spectralNorm: spectralNorm, rng: &rng)
        ModelGradientTests.checkDiscriminator(d, label: "ResNet D SN \(spectralNorm)", rng: &rng)
    }

    @Test func generatorThroughDiscriminator() {
        var rng = SeededRandom(seed: 14)
        let n = 3
        let g = ResNetGenerator(config: Self.config, maxBatch: n, rng: &rng)
        let d = ResNetDiscriminator(config: Self.config, maxBatch: n, spectralNorm: true, rng: &rng)
        // W_γ, W_β start at 0; move them so that the conditional scale and shift are exercised.
        for (name, range) in ModelGradientTests.blocks(g.layers) where name.contains("cbn") {
            for i in range { g.store.parameters[i] = Float(rng.normal()) * 0.3 }
        }
        rng.fillNormal(g.input.withBatch(n).buffer)
        let c = Tensor(n: n, c: 5)
        for s in 0..<n { (c.data + s * 5).update(from: g.input.data + s * 11 + 6, count: 5) }
        let rs = Tensor(n: n, c: 1)
        rng.fillNormal(rs.buffer)
        let zeroR = Tensor(n: n, c: 2)
        d.computesParameterGradients = false
        d.computesInputGradient = true
        _ = d.forward(g.forward(batch: n, mode: .training), conditions: c, mode: .training)
        let loss = { () -> Double in
            ModelGradientTests.dot(d.forward(g.forward(batch: n, mode: .training), conditions: c, mode: .evaluation).score, rs)
        }
        let gradient = { () -> [Double] in
            g.store.zeroGradients()
            _ = d.forward(g.forward(batch: n, mode: .training), conditions: c, mode: .evaluation)
            g.backward(d.backward(score: rs, regression: zeroR))
            return (0..<g.store.parameterCount).map { Double(g.store.gradients[$0]) }
        }
        for (name, range) in ModelGradientTests.blocks(g.layers) where !range.isEmpty {
            ModelGradientTests.check("ResNet G ∂\(name) through D", ModelGradientTests.directional(
                g.store.parameters, range, &rng, loss: loss, gradient: gradient))
        }
    }
}
