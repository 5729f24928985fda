import Testing
import Tensor
import NN

/// Forward values against direct double-precision formulas (the gradient checks only show
/// that backward matches forward, not that forward is right).
@Suite struct ForwardTests {
    /// y[n,o,oh,ow] = b[o] + Σ W[o,c,ki,kj]·x[n,c,oh·s−p+ki,ow·s−p+kj], with W̄ = W/σ under SN;
    /// budgets that give one chunk and several chunks per batch.
    @Test(arguments: [(false, Conv2d.defaultColumnBudget), (true, 18 * 16), (false, 2 * 18 * 16)])
    func conv2dMatchesDirectConvolution(_ setting: (Bool, Int)) {
        let (sn, budget) = setting
        var rng = SeededRandom(seed: 31)
        let store = ParameterStore()
        let g = ConvGeometry(channels: 2, height: 7, width: 7, kernel: 3, stride: 2, padding: 1)
        let layer = Conv2d(g, outChannels: 3, maxBatch: 5, store: store, rng: &rng, spectralNorm: sn, columnBudget: budget)
        let x = Tensor(n: 5, c: 2, h: 7, w: 7)
        rng.fillNormal(x.buffer)
        let y = layer.forward(x, mode: .evaluation)
        #expect(y.n == 5 && y.c == 3 && y.h == 4 && y.w == 4)
        let w = store.values(layer.weight.slice), b = store.values(layer.bias)
        let sigma = Double(layer.spectralNorm?.sigma ?? 1)
        var maxError = 0.0
        for n in 0..<5 { for o in 0..<3 { for oh in 0..<4 { for ow in 0..<4 {
            var ref = Double(b[o])
            for c in 0..<2 { for ki in 0..<3 { for kj in 0..<3 {
                let ih = oh * 2 - 1 + ki, iw = ow * 2 - 1 + kj
                guard ih >= 0, ih < 7, iw >= 0, iw < 7 else { continue }
                ref += Double(w[((o * 2 + c) * 3 + ki) * 3 + kj]) / sigma * Double(x.data[((n * 2 + c) * 7 + ih) * 7 + iw])
            }}}
            maxError = max(maxError, abs(Double(y.data[((n * 3 + o) * 4 + oh) * 4 + ow]) - ref))
        }}}}
        #expect(maxError < 1e-5, "Conv2d forward max error \(maxError)")
    }

    @Test func linearMatchesFormula() {
        var rng = SeededRandom(seed: 32)
        let store = ParameterStore()
        let layer = Linear(6, 4, maxBatch: 3, store: store, rng: &rng)
        let x = Tensor(n: 3, c: 6)
        rng.fillNormal(x.buffer)
        let y = layer.forward(x)
        let w = store.values(layer.weight.slice), b = store.values(layer.bias)
        for n in 0..<3 { for o in 0..<4 {
            var ref = Double(b[o])
            for i in 0..<6 { ref += Double(w[o * 6 + i]) * Double(x.data[n * 6 + i]) }
            #expect(abs(Double(y.data[n * 4 + o]) - ref) < 1e-5)
        }}
    }

    @Test func pointwiseLayers() {
        let store = ParameterStore()
        let lrelu = LeakyReLU(features: 4, maxBatch: 1)
        let relu = LeakyReLU.relu(features: 4, maxBatch: 1)
        let scale = TrainableScale(features: 4, maxBatch: 1, store: store, initial: 2.5)
        let x = Tensor(n: 1, c: 4)
        x.copy(from: [-2, -0.5, 0, 3])
        #expect(lrelu.forward(x).toArray() == [-0.4, -0.1, 0, 3])
        #expect(relu.forward(x).toArray() == [0, 0, 0, 3])
        #expect(scale.forward(x).toArray() == [-5, -1.25, 0, 7.5])
    }
}
