import GAN
import TrialProtocol
import NN
import Tensor
import Testing

/// Every network is one ordered list of layers (`NetworkLayers`): what the trainer asks of
/// "every parameter", "every spectral norm" and "every layer" is computed from that list, so
/// the list must cover the store exactly and reach every normalised weight.
@Suite struct NetworkLayersTests {
    struct Case: Sendable, CustomStringConvertible {
        let architecture: Architecture, spectralNorm: Bool
        var description: String { "\(architecture) SN \(spectralNorm)" }
    }

    static let cases = [Case(architecture: .dcgan, spectralNorm: true), Case(architecture: .dcgan, spectralNorm: false),
                        Case(architecture: .resnet, spectralNorm: true), Case(architecture: .resnet, spectralNorm: false)]

    static func networks(_ c: Case) -> (any GeneratorNetwork, any DiscriminatorNetwork) {
        var rng = SeededRandom(seed: 3)
        let config = ModelConfig(preset: .tiny, architecture: c.architecture)
        return (config.makeGenerator(maxBatch: 2, rng: &rng),
                config.makeDiscriminator(maxBatch: 2, spectralNorm: c.spectralNorm, rng: &rng))
    }

    /// The layers' parameter slices, in list order, tile 0..<parameterCount with no gap or overlap.
    static func slicesTileTheStore(_ net: any LayeredNetwork) -> Bool {
        var next = 0
        for layer in net.network.layers {
            #expect(layer.parameters.slices.isEmpty || layer.parameters.store === net.store)
            for slice in layer.parameters.slices {
                guard slice.offset == next else { return false }
                next += slice.count
            }
        }
        return next == net.store.parameterCount && net.network.parameterCount == net.store.parameterCount
    }

    @Test(arguments: cases) func everyParameterBelongsToOneLayerInOrder(_ c: Case) {
        let (g, d) = Self.networks(c)
        #expect(Self.slicesTileTheStore(g), "G's layers do not tile its store")
        #expect(Self.slicesTileTheStore(d), "D's layers do not tile its store")
    }

    /// Under SN every weighted layer of D is normalised, and the list holds all of their norms;
    /// without SN none. G has none.
    @Test(arguments: cases) func everySpectralNormIsListed(_ c: Case) {
        let (g, d) = Self.networks(c)
        let weighted = d.network.layers.filter { $0 is AffineLayer }
        #expect(!weighted.isEmpty)
        #expect(weighted.allSatisfy { $0.isSpectrallyNormalised == c.spectralNorm })
        #expect(d.network.spectralNorms.count == (c.spectralNorm ? weighted.count : 0))
        #expect(g.network.spectralNorms.isEmpty && !g.network.layers.contains { $0.isSpectrallyNormalised })
    }

    /// `powerIterate` reaches every SN: with every u scaled to norm 2 beforehand, each is back at
    /// unit norm after one step (a converged u need not move otherwise: FC3's u is a 1-vector).
    @Test func powerIterationReachesEveryNorm() {
        for c in Self.cases where c.spectralNorm {
            let (_, d) = Self.networks(c)
            for sn in d.network.spectralNorms {
                let u = d.store.buffer(sn.u)
                for i in 0..<sn.u.count { u[i] *= 2 }
            }
            d.powerIterate(steps: 1)
            for sn in d.network.spectralNorms {
                let u = d.store.buffer(sn.u), norm = (0..<sn.u.count).map { Double(u[$0] * u[$0]) }.reduce(0, +).squareRoot()
                #expect(abs(norm - 1) < 1e-5, "\(c): an SN's u has norm \(norm) after a power step")
            }
        }
    }

    /// The G step's switch reaches every layer, and back.
    @Test(arguments: cases) func parameterGradientSwitchReachesEveryLayer(_ c: Case) {
        let (_, d) = Self.networks(c)
        d.computesParameterGradients = false
        #expect(!d.computesParameterGradients && !d.network.layers.contains { $0.computesParameterGradients })
        d.computesParameterGradients = true
        #expect(d.network.layers.allSatisfy { $0.computesParameterGradients || $0.parameters.slices.isEmpty })
    }
}
