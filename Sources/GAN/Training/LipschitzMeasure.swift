import NN
import Tensor

/// The per-epoch Lipschitz figures of docs/science.md §5.1.
public struct LipschitzEstimate: Codable, Sendable, Equatable {
    /// The family's L (`DiscriminatorNetwork.lipschitzBound`): for the DCGAN Π|k_i|·Π σ(W_l)
    /// over conv1–5 and FC1–3, for the ResNet the bound of docs/science.md §5.1; σ of the matrix D
    /// computes with (W̄ = W/σ_u under SN), by power iteration to convergence on that matrix
    /// (the training u is untouched).
    public var bound: Double
    /// max_i ‖∂D(x_i)/∂x_i‖₂ over a batch of B real and B generated events.
    public var empirical: Double
    public var k: [Double]
    public var kProduct: Double { k.reduce(1) { $0 * abs($1) } }

    public init(bound: Double, empirical: Double, k: [Double]) {
        self.bound = bound; self.empirical = empirical; self.k = k
    }
}

extension GANTrainer {
    /// Measures L and the empirical estimate. Real events: the first B training events;
    /// fakes: G in evaluation mode on fresh noise (from `seed`, not the training stream) with
    /// their conditions.
    /// D runs in `.evaluation` mode (SN vectors unchanged), so W̄ = W/σ_u of the current W.
    /// One backward with ∂L/∂score = 1 gives every sample's input gradient at once, since the
    /// samples of a batch do not interact.
    public func measureLipschitz(seed: UInt64) -> LipschitzEstimate {
        let b = options.batch, d = discriminator, pixels = TrainingSet.pixels, dc = ConditionLayout.dimension
        var rng = SeededRandom(seed: seed, stream: 0x11F5)
        let dz = model.latent, gIn = generator.input.data
        data.images.withUnsafeBufferPointer { im in
            data.conditions.withUnsafeBufferPointer { co in
                images.data.update(from: im.baseAddress!, count: b * pixels)
                conditions.data.update(from: co.baseAddress!, count: b * dc)
                (conditions.data + b * dc).update(from: co.baseAddress!, count: b * dc)
                for j in 0..<b {
                    let row = gIn + j * (dz + dc)
                    for k in 0..<dz { row[k] = Float(rng.normal()) }
                    (row + dz).update(from: co.baseAddress! + j * dc, count: dc)
                }
            }
        }
        let fake = generator.forward(batch: b, mode: .evaluation)
        (images.data + b * pixels).update(from: fake.data, count: b * pixels)
        d.computesParameterGradients = false
        d.computesInputGradient = true
        _ = d.forward(images, conditions: conditions, mode: .evaluation)
        scoreGradient.fill(1); regressionGradient.fill(0)
        let dx = d.backward(score: scoreGradient, regression: regressionGradient)
        var empirical = 0.0
        for s in 0..<(2 * b) {
            var sq = 0.0
            let g = dx.data + s * pixels
            for i in 0..<pixels { sq += Double(g[i]) * Double(g[i]) }
            empirical = max(empirical, sq.squareRoot())
        }
        let k = d.scales
        return LipschitzEstimate(bound: d.lipschitzBound(), empirical: empirical, k: [Double(k[0]), Double(k[1]), Double(k[2])])
    }
}
