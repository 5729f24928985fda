import Calo
import NN
import Tensor

/// The ResNet networks' weights under the state_dict names of their PyTorch twin
/// (scripts/twin_resnet.py), for `numpy.load` → `load_state_dict`: the twin then computes the
/// same functions, which is how the Swift implementation is checked against it.
extension ResNetGenerator {
    /// Every weight, bias and batch-norm running statistic of G.
    public var twinArrays: [(String, NPYArray)] {
        var out = [TwinArrays.linear("fc", fc, store)]
        out += block1.twinArrays("b1", store) + block2.twinArrays("b2", store)
        out += [TwinArrays.batchNorm("bn", bn, store),
                TwinArrays.conv("c", conv.weight, bias: conv.bias, geometry: conv.geometry, store)]
        return out.flatMap { $0 }
    }
}

extension UpBlock {
    func twinArrays(_ name: String, _ store: ParameterStore) -> [[(String, NPYArray)]] {
        func cbn(_ key: String, _ bn: BatchNorm2d, _ affine: ConditionalAffine) -> [(String, NPYArray)] {
            let shape = [affine.channels, affine.conditionSize]
            return TwinArrays.batchNorm("\(name).\(key).bn", bn, store)
                + [("\(name).\(key).gamma.weight", TwinArrays.array(store.values(affine.gammaWeight), shape)),
                   ("\(name).\(key).beta.weight", TwinArrays.array(store.values(affine.betaWeight), shape))]
        }
        return [cbn("cbn1", bn1, cbn1), TwinArrays.conv("\(name).c1", conv1.weight, bias: conv1.bias, geometry: conv1.geometry, store),
                cbn("cbn2", bn2, cbn2), TwinArrays.conv("\(name).c2", conv2.weight, bias: conv2.bias, geometry: conv2.geometry, store),
                TwinArrays.oneByOne("\(name).sc", shortcut, store)]
    }
}

extension ResNetDiscriminator {
    /// Every weight and bias as the last forward used it (W̄ = W/σ_u under SN: the twin is then
    /// built without SN), and k.
    public var twinArrays: [(String, NPYArray)] {
        var out = block1.twinArrays("b1", store) + block2.twinArrays("b2", store)
            + block3.twinArrays("b3", store) + block4.twinArrays("b4", store)
        out += [TwinArrays.conv("rc", regConv.weight, bias: regConv.bias, geometry: regConv.geometry, store),
                TwinArrays.linear("rf", regFC, store), TwinArrays.linear("f1", head.fc1, store),
                TwinArrays.linear("f2", head.fc2, store), TwinArrays.linear("f3", head.fc3, store)]
        let k = scales
        return out.flatMap { $0 } + [("k", NPYArray(shape: [3], values: [k[0], k[1], k[2]]))]
    }
}

extension DownBlock {
    func twinArrays(_ name: String, _ store: ParameterStore) -> [[(String, NPYArray)]] {
        [TwinArrays.conv("\(name).c1", convA.weight, bias: convA.bias, geometry: convA.geometry, store),
         TwinArrays.conv("\(name).c2", convB.weight, bias: convB.bias, geometry: convB.geometry, store),
         TwinArrays.oneByOne("\(name).sc", shortcut, store)]
    }
}

enum TwinArrays {
    static func array(_ p: UnsafePointer<Float>, _ shape: [Int]) -> NPYArray {
        NPYArray(shape: shape, values: Array(UnsafeBufferPointer(start: p, count: shape.reduce(1, *))))
    }

    /// The matrix the forward uses: W̄ under SN, else W.
    static func effective(_ w: LayerWeight, _ store: ParameterStore) -> UnsafePointer<Float> {
        UnsafePointer(w.spectralNorm?.normalizedWeight.data ?? store.values(w.slice))
    }

    static func weightAndBias(_ name: String, _ w: LayerWeight, bias: ParameterSlice, shape: [Int],
                              _ store: ParameterStore) -> [(String, NPYArray)] {
        [("\(name).weight", array(effective(w, store), shape)), ("\(name).bias", array(store.values(bias), [bias.count]))]
    }

    static func linear(_ name: String, _ layer: Linear, _ store: ParameterStore) -> [(String, NPYArray)] {
        weightAndBias(name, layer.weight, bias: layer.bias, shape: [layer.outFeatures, layer.inFeatures], store)
    }

    static func conv(_ name: String, _ w: LayerWeight, bias: ParameterSlice, geometry g: ConvGeometry,
                     _ store: ParameterStore) -> [(String, NPYArray)] {
        weightAndBias(name, w, bias: bias, shape: [w.rows, g.channels, g.kernel, g.kernel], store)
    }

    static func oneByOne(_ name: String, _ layer: Conv1x1, _ store: ParameterStore) -> [(String, NPYArray)] {
        weightAndBias(name, layer.weight, bias: layer.bias, shape: [layer.outChannels, layer.inChannels, 1, 1], store)
    }

    static func batchNorm(_ name: String, _ bn: BatchNorm2d, _ store: ParameterStore) -> [(String, NPYArray)] {
        [("\(name).running_mean", array(store.buffer(bn.runningMean), [bn.channels])),
         ("\(name).running_var", array(store.buffer(bn.runningVariance), [bn.channels]))]
    }
}
