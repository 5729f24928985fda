import NN
import Tensor

/// The head both discriminator families share (docs/science.md §4, §4.1):
///   D = k3·FC3(φ(k2·FC2(φ(k1·FC1([features, r, c])))))
/// features: the family's image features (flatten(conv5) / the summed block 4), r the
/// regressor's output (n, 2), c the standardised condition (n, 5); the k_i are trainable
/// scalars (initial 1) whose losses are the regularizers of §5.1. Parameters are allocated
/// FC1, FC2, FC3, then k1, k2, k3.
struct DiscriminatorHead {
    let fc1: Linear, scale1: TrainableScale, actF1: LeakyReLU
    let fc2: Linear, scale2: TrainableScale, actF2: LeakyReLU
    let fc3: Linear, scale3: TrainableScale
    /// f1, f2, f3, then the k_i (one twin parameter `k` of shape [3]), in allocation order.
    let network: NetworkLayers
    /// [features, r, c] per sample, and the split of its gradient.
    private let joined: Tensor
    let featureGradient: Tensor, regressionGradient: Tensor

    init(features: Int, fullyConnected f: [Int], maxBatch: Int, store: ParameterStore, spectralNorm sn: Bool,
         rng: inout SeededRandom) {
        let joinedFeatures = features + 2 + ConditionLayout.dimension, slope = ModelConfig.leakySlope
        fc1 = Linear(joinedFeatures, f[0], maxBatch: maxBatch, store: store, rng: &rng, spectralNorm: sn)
        fc2 = Linear(f[0], f[1], maxBatch: maxBatch, store: store, rng: &rng, spectralNorm: sn)
        fc3 = Linear(f[1], 1, maxBatch: maxBatch, store: store, rng: &rng, spectralNorm: sn)
        scale1 = TrainableScale(features: f[0], maxBatch: maxBatch, store: store)
        scale2 = TrainableScale(features: f[1], maxBatch: maxBatch, store: store)
        scale3 = TrainableScale(features: 1, maxBatch: maxBatch, store: store)
        actF1 = LeakyReLU(features: f[0], maxBatch: maxBatch, slope: slope)
        actF2 = LeakyReLU(features: f[1], maxBatch: maxBatch, slope: slope)
        joined = Tensor(n: maxBatch, c: joinedFeatures)
        featureGradient = Tensor(n: maxBatch, c: features)
        regressionGradient = Tensor(n: maxBatch, c: 2)
        var network = NetworkLayers()
        network.append("f1", fc1); network.append("f2", fc2); network.append("f3", fc3)
        for scale in [scale1, scale2, scale3] { network.append("k", scale, reportedShape: [3]) }
        network.append(nil, actF1); network.append(nil, actF2)
        self.network = network
    }

    var scaleSlices: [ParameterSlice] { [scale1.scale, scale2.scale, scale3.scale] }
    var scales: SIMD3<Float> { SIMD3(scale1.value, scale2.value, scale3.value) }
    /// The score (n, 1) of features (n, ·), r (n, 2) and c (n, 5).
    func forward(features h: Tensor, regression r: Tensor, conditions c: Tensor, mode: ForwardMode) -> Tensor {
        let n = h.n, fh = h.featureCount, fj = joined.c, dc = ConditionLayout.dimension
        for s in 0..<n {
            let row = joined.data + s * fj
            row.update(from: h.data + s * fh, count: fh)
            (row + fh).update(from: r.data + 2 * s, count: 2)
            (row + fh + 2).update(from: c.data + s * dc, count: dc)
        }
        var d = actF1.forward(scale1.forward(fc1.forward(joined.withBatch(n), mode: mode)))
        d = actF2.forward(scale2.forward(fc2.forward(d, mode: mode)))
        return scale3.forward(fc3.forward(d, mode: mode))
    }

    /// (∂L/∂features (n, ·), ∂L/∂r (n, 2)) given ∂L/∂score and the loss's own ∂L/∂r, which is
    /// added (r feeds both FC1 and the regression loss).
    func backward(score dScore: Tensor, regression dRegression: Tensor) -> (features: Tensor, regression: Tensor) {
        let n = dScore.n
        var d = fc3.backward(scale3.backward(dScore))
        d = fc2.backward(scale2.backward(actF2.backward(d)))
        let dJoined = fc1.backward(scale1.backward(actF1.backward(d)))
        let fh = featureGradient.c, fj = joined.c
        for s in 0..<n {
            let row = dJoined.data + s * fj
            (featureGradient.data + s * fh).update(from: row, count: fh)
            regressionGradient.data[2 * s] = row[fh] + dRegression.data[2 * s]
            regressionGradient.data[2 * s + 1] = row[fh + 1] + dRegression.data[2 * s + 1]
        }
        return (featureGradient.withBatch(n), regressionGradient.withBatch(n))
    }

    /// σ(FC1)·σ(FC2)·σ(FC3)·|k1 k2 k3|: the head's Lipschitz bound (φ is 1-Lipschitz).
    func lipschitzBound(_ store: ParameterStore) -> Double {
        let k = scales
        return Double(abs(k[0]) * abs(k[1]) * abs(k[2])) * OperatorNormBound.matrix(fc1.weight, store: store)
            * OperatorNormBound.matrix(fc2.weight, store: store) * OperatorNormBound.matrix(fc3.weight, store: store)
    }
}
