import NN
import Tensor

/// Operations per training sample of `GANTrainer`'s loop, counted from the networks' layers
/// (`Layer.flopsPerSample`, `SpectralNorm`'s counts, `Adam.flopsPerParameter`), for the roofline.
///
/// A training sample is one real event. A batch of B real events is one D step — G forward on
/// B, D forward and backward (∂θ; ∂x except for D's input layers) on the 2B real + fake rows,
/// two SN power steps (one extra, one in the training forward), each σ and W̄ refresh and SN
/// gradient, Adam on D — plus 1/d_steps of a G step — G forward, D forward and backward (∂x
/// only) on B rows, one SN power step and refresh, G backward (∂θ; ∂x except where a layer
/// skips it), Adam on G. Each field is per sample: the step's count divided by B.
public struct TrainingFLOPs: Sendable, Equatable {
    public var generatorForward = 0.0, discriminatorForward = 0.0
    public var discriminatorBackward = 0.0, generatorBackward = 0.0
    public var spectralNorm = 0.0, optimizer = 0.0

    public var total: Double {
        generatorForward + discriminatorForward + discriminatorBackward + generatorBackward + spectralNorm + optimizer
    }
}

extension GANTrainer {
    public var flopsPerTrainingSample: TrainingFLOPs {
        let b = Double(options.batch), gStep = 1 / Double(options.discriminatorSteps)
        let g = generator.network, d = discriminator.network
        let dInputs = d.inputLayers.map { ObjectIdentifier($0) }
        func sum(_ layers: [any Layer], _ part: (any Layer, LayerFLOPs) -> Int) -> Double {
            Double(layers.reduce(0) { $0 + part($1, $1.flopsPerSample) })
        }
        /// A layer that never computes ∂x (G's first layer).
        func skipsInputGradient(_ layer: any Layer) -> Bool { (layer as? AffineLayer)?.computesInputGradient == false }
        let gForward = sum(g.layers) { $1.forward }, dForward = sum(d.layers) { $1.forward }
        let dInputGradient = sum(d.layers) { $1.inputGradient }
        let dInputGradientInDStep = sum(d.layers) { dInputs.contains(ObjectIdentifier($0)) ? 0 : $1.inputGradient }
        let dParameterGradient = sum(d.layers) { $1.parameterGradient }
        let gBackward = sum(g.layers) { (skipsInputGradient($0) ? 0 : $1.inputGradient) + $1.parameterGradient }
        let norms = d.spectralNorms
        let powerStep = Double(norms.reduce(0) { $0 + $1.powerStepFLOPs })
        let refresh = Double(norms.reduce(0) { $0 + $1.refreshFLOPs })
        let snGradient = Double(norms.reduce(0) { $0 + $1.gradientFLOPs })
        func trainable(_ store: ParameterStore) -> Double { Double(store.trainableRanges.reduce(0) { $0 + $1.count }) }

        var f = TrainingFLOPs()
        f.generatorForward = gForward * (1 + gStep)
        f.discriminatorForward = dForward * (2 + gStep)
        f.discriminatorBackward = 2 * (dParameterGradient + dInputGradientInDStep) + gStep * dInputGradient
        f.generatorBackward = gStep * gBackward
        f.spectralNorm = (2 * powerStep + refresh + snGradient + gStep * (powerStep + refresh)) / b
        f.optimizer = Double(Adam.flopsPerParameter) * (trainable(discriminator.store) + gStep * trainable(generator.store)) / b
        return f
    }
}
