import Foundation
import NN
import Tensor

/// A non-finite loss or weight (docs/science.md §5), or a loss beyond `divergenceThreshold`: the trial
/// ends as `diverged`.
public struct Divergence: Error, CustomStringConvertible, Equatable {
    /// D steps since the start of training (1-based) at which it was detected.
    public var step: Int
    public var what: String
    public var description: String { "\(what) at step \(step)" }
}

/// Mean losses over one epoch: `discriminator` = adversarial + α_reg·regression loss per D
/// step; `regularization` = the regularizer's term per D step; `generator` per G step.
public struct EpochLosses: Codable, Sendable, Equatable {
    public var discriminator: Double
    public var generator: Double
    public var regularization: Double
}

/// Trains G and D as docs/science.md §5 and torch_twin.py's loop: each epoch shuffles the training set,
/// every full batch is one D step (real batch and B fakes made from the batch's own conditions,
/// run through D as one batch of 2B), and after every `discriminatorSteps` D steps (counted
/// over the whole run) one G step on fresh noise with the same conditions. The last partial
/// batch is dropped. SN vectors advance twice per D step and once per G step (the twin's
/// count of D forwards in training mode). All buffers are allocated here once; a step allocates nothing.
/// Either model family (`model.architecture`) is driven through `GeneratorNetwork` and
/// `DiscriminatorNetwork`; G runs in `.training` mode here (a ResNet G's batch statistics).
public final class GANTrainer {
    public let model: ModelConfig
    public let options: TrainingOptions
    public let generator: any GeneratorNetwork
    public let discriminator: any DiscriminatorNetwork
    public let data: TrainingSet
    let adamD: Adam, adamG: Adam
    /// Batch order and noise. Weights come from a separate stream (stream 1), so they do not
    /// depend on the data size.
    public internal(set) var random: SeededRandom
    /// D steps taken since the start.
    public internal(set) var discriminatorStepCount = 0
    public internal(set) var lecam = LeCamState()
    private var order: [Int]
    /// (2B, 1, 30, 30): rows 0..<B real, B..<2B fake; (2B, 5) their conditions.
    let images: Tensor, conditions: Tensor
    private let asymmetryTargets: Tensor
    let scoreGradient: Tensor, regressionGradient: Tensor
    /// Opt-in wall time per `TrainingPart` (`TrainingPart.times()`; a benchmark's breakdown).
    /// nil, the default, leaves every step untimed.
    public var profile: PartTimes?

    public init(model: ModelConfig, options: TrainingOptions, data: TrainingSet) {
        precondition(data.count >= options.batch, "GANTrainer: \(data.count) training events < one batch of \(options.batch)")
        self.model = model; self.options = options; self.data = data
        var initRandom = SeededRandom(seed: options.seed, stream: 1)
        let b = options.batch
        generator = model.makeGenerator(maxBatch: b, rng: &initRandom)
        discriminator = model.makeDiscriminator(maxBatch: 2 * b, spectralNorm: options.regularizer.kind.usesSpectralNorm,
                                                rng: &initRandom)
        for (slice, trained) in zip(discriminator.scaleSlices, options.regularizer.kind.trainableScales) {
            discriminator.store.setTrainable(slice, trained)
        }
        adamD = Adam(learningRate: Float(options.learningRate))
        adamG = Adam(learningRate: Float(options.generatorLearningRate ?? options.learningRate))
        random = SeededRandom(seed: options.seed, stream: 2)
        order = Array(0..<data.count)
        images = Tensor(n: 2 * b, c: 1, h: 30, w: 30)
        conditions = Tensor(n: 2 * b, c: ConditionLayout.dimension)
        asymmetryTargets = Tensor(n: b, c: 2)
        scoreGradient = Tensor(n: 2 * b, c: 1)
        regressionGradient = Tensor(n: 2 * b, c: 2)
    }

    /// One pass over the shuffled training set. Throws at the first non-finite loss or weight.
    /// OpenBLAS stays at one thread meanwhile; the layers split their work over `threads`
    /// threads themselves (`WorkSplit.withOwnThreads`; nil: the caller's BLAS.threads). A
    /// trial passes its count explicitly, so the split, and with it the summation order, never
    /// depends on a process-wide setting another trainer in the same process may change.
    public func trainEpoch(threads: Int? = nil) throws(Divergence) -> EpochLosses {
        try WorkSplit.withOwnThreads(threads) { () throws(Divergence) in try trainBatches() }
    }

    private func trainBatches() throws(Divergence) -> EpochLosses {
        let b = options.batch, batches = data.count / b
        for i in order.indices { order[i] = i }
        random.shuffle(&order)
        var dSum = 0.0, gSum = 0.0, regSum = 0.0, gSteps = 0
        for batch in 0..<batches {
            let (dLoss, regLoss) = try discriminatorStep(batch: batch)
            dSum += dLoss; regSum += regLoss
            if discriminatorStepCount % options.discriminatorSteps == 0 {
                gSum += try generatorStep(); gSteps += 1
            }
        }
        return EpochLosses(discriminator: dSum / Double(batches), generator: gSteps > 0 ? gSum / Double(gSteps) : 0,
                           regularization: regSum / Double(batches))
    }

    /// Copies the batch's real events into rows 0..<B and their conditions into rows 0..<B
    /// and B..<2B (the fakes use the real batch's conditions), and writes [z, c] into G's input.
    private func gatherBatch(_ batch: Int) {
        let b = options.batch, dc = ConditionLayout.dimension, dz = model.latent
        let pixels = TrainingSet.pixels, gIn = generator.input.data, gw = dz + dc
        data.images.withUnsafeBufferPointer { im in
            data.conditions.withUnsafeBufferPointer { co in
                data.asymmetries.withUnsafeBufferPointer { asym in
                    for j in 0..<b {
                        let e = order[batch * b + j]
                        (images.data + j * pixels).update(from: im.baseAddress! + e * pixels, count: pixels)
                        let c = co.baseAddress! + e * dc
                        (conditions.data + j * dc).update(from: c, count: dc)
                        (conditions.data + (b + j) * dc).update(from: c, count: dc)
                        (gIn + j * gw + dz).update(from: c, count: dc)
                        asymmetryTargets.data[2 * j] = asym[2 * e]
                        asymmetryTargets.data[2 * j + 1] = asym[2 * e + 1]
                    }
                }
            }
        }
    }

    /// Fresh z ~ N(0, 1) in the first d_z columns of G's input rows 0..<B.
    private func drawNoise() {
        let dz = model.latent, gw = dz + ConditionLayout.dimension, gIn = generator.input.data
        for j in 0..<options.batch {
            let row = gIn + j * gw
            for k in 0..<dz { row[k] = Float(random.normal()) }
        }
    }

    /// One D step; returns (adversarial + regression loss, regularizer term).
    private func discriminatorStep(batch: Int) throws(Divergence) -> (Double, Double) {
        let b = options.batch, d = discriminator
        profile.measure(TrainingPart.batchAssembly.rawValue) { gatherBatch(batch) }
        profile.measure(TrainingPart.noise.rawValue) { drawNoise() }
        let fake = profile.measure(TrainingPart.generatorForward.rawValue) { generator.forward(batch: b, mode: .training) }
        profile.measure(TrainingPart.batchAssembly.rawValue) {
            (images.data + b * TrainingSet.pixels).update(from: fake.data, count: b * TrainingSet.pixels)
            d.store.zeroGradients()
        }
        d.computesParameterGradients = true
        d.computesInputGradient = false
        // Two SN power steps per D step, as the twin's two D forwards (real, fake).
        profile.measure(TrainingPart.spectralNormStep.rawValue) { d.powerIterate(steps: 1) }
        let (score, r) = profile.measure(TrainingPart.discriminatorForward.rawValue) {
            d.forward(images, conditions: conditions, mode: .training)
        }
        scoreGradient.fill(0); regressionGradient.fill(0)
        let real = UnsafeBufferPointer(start: score.data, count: b)
        let fakes = UnsafeBufferPointer(start: score.data + b, count: b)
        let dReal = UnsafeMutableBufferPointer(start: scoreGradient.data, count: b)
        let dFake = UnsafeMutableBufferPointer(start: scoreGradient.data + b, count: b)
        var loss = options.loss.discriminator(real: real, fake: fakes, realGradient: dReal, fakeGradient: dFake)
        loss += Loss.mse(UnsafeBufferPointer(start: r.data, count: 2 * b),
                         target: UnsafeBufferPointer(start: asymmetryTargets.data, count: 2 * b),
                         scale: options.regressionWeight,
                         gradient: UnsafeMutableBufferPointer(start: regressionGradient.data, count: 2 * b))
        var regLoss = 0.0
        let regularizer = options.regularizer
        if regularizer.kind == .lecam {
            lecam.update(realMean: mean(real), fakeMean: mean(fakes))
            regLoss = Loss.leastSquares(real, target: Float(lecam.fakeAverage!), scale: regularizer.lambda, gradient: dReal)
                + Loss.leastSquares(fakes, target: Float(lecam.realAverage!), scale: regularizer.lambda, gradient: dFake)
        }
        profile.measure(TrainingPart.discriminatorBackward.rawValue) {
            _ = d.backward(score: scoreGradient, regression: regressionGradient)
        }
        let k = d.scales
        let term = regularizer.scaleTerm(SIMD3(Double(k[0]), Double(k[1]), Double(k[2])))
        regLoss += term.value
        for (i, slice) in d.scaleSlices.enumerated() { d.store.gradient(slice).pointee += Float(term.gradient[i]) }
        discriminatorStepCount += 1
        try checkLoss(loss + regLoss, of: "discriminator")
        profile.measure(TrainingPart.optimizer.rawValue) { adamD.step(d.store) }
        guard profile.measure(TrainingPart.finiteCheck.rawValue, { allFinite(d.store) }) else {
            throw Divergence(step: discriminatorStepCount, what: "non-finite discriminator weight")
        }
        return (loss, regLoss)
    }

    /// One G step on fresh noise with the conditions of the last D batch.
    private func generatorStep() throws(Divergence) -> Double {
        let b = options.batch, d = discriminator
        profile.measure(TrainingPart.noise.rawValue) { drawNoise() }
        profile.measure(TrainingPart.batchAssembly.rawValue) { generator.store.zeroGradients() }
        let fake = profile.measure(TrainingPart.generatorForward.rawValue) { generator.forward(batch: b, mode: .training) }
        d.computesParameterGradients = false
        d.computesInputGradient = true
        // `.training`: one SN power step, as the twin's D forward in its G step. D's weights
        // do not change here, so the backward's W̄ is the one the next D step starts from.
        let (score, _) = profile.measure(TrainingPart.discriminatorForward.rawValue) {
            d.forward(fake, conditions: conditions.withBatch(b), mode: .training)
        }
        let dScore = scoreGradient.withBatch(b), dR = regressionGradient.withBatch(b)
        dScore.fill(0); dR.fill(0)
        let loss = options.loss.generator(fake: UnsafeBufferPointer(start: score.data, count: b),
                                          gradient: UnsafeMutableBufferPointer(start: dScore.data, count: b))
        try checkLoss(loss, of: "generator")
        let dFake = profile.measure(TrainingPart.discriminatorBackward.rawValue) { d.backward(score: dScore, regression: dR) }
        profile.measure(TrainingPart.generatorBackward.rawValue) { generator.backward(dFake) }
        profile.measure(TrainingPart.optimizer.rawValue) { adamG.step(generator.store) }
        guard profile.measure(TrainingPart.finiteCheck.rawValue, { allFinite(generator.store) }) else {
            throw Divergence(step: discriminatorStepCount, what: "non-finite generator weight")
        }
        return loss
    }

    /// docs/science.md §5's divergence rule on one step's loss, plus the magnitude threshold.
    private func checkLoss(_ loss: Double, of network: String) throws(Divergence) {
        guard loss.isFinite else {
            throw Divergence(step: discriminatorStepCount, what: "non-finite \(network) loss (\(loss))")
        }
        guard abs(loss) <= options.divergenceThreshold else {
            throw Divergence(step: discriminatorStepCount, what: String(
                format: "%@ loss %.3g beyond divergence_threshold %.3g", network, loss, options.divergenceThreshold))
        }
    }

    private func mean(_ x: UnsafeBufferPointer<Float>) -> Double {
        var s = 0.0
        for v in x { s += Double(v) }
        return s / Double(x.count)
    }

    /// A NaN or ±∞ anywhere makes the Double sum non-finite (finite Float values cannot overflow it).
    private func allFinite(_ store: ParameterStore) -> Bool {
        var s = 0.0
        let p = store.parameters
        for i in 0..<store.parameterCount { s += Double(p[i]) }
        return s.isFinite
    }
}

/// The parts of a training step `GANTrainer.profile` times. D's forward includes its layers'
/// spectral-norm refresh (one power step, σ, W̄); `spectralNormStep` is the D step's extra
/// power step. `batchAssembly`: gathering the real batch and its conditions, copying the fakes
/// beside it, zeroing the gradients.
public enum TrainingPart: Int, CaseIterable, Sendable {
    case batchAssembly, noise, generatorForward, discriminatorForward, discriminatorBackward, generatorBackward,
         spectralNormStep, optimizer, finiteCheck

    public var name: String {
        switch self {
        case .batchAssembly: "batch assembly"
        case .noise: "noise z ~ N(0, 1)"
        case .generatorForward: "G forward"
        case .discriminatorForward: "D forward (+ SN refresh)"
        case .discriminatorBackward: "D backward"
        case .generatorBackward: "G backward"
        case .spectralNormStep: "SN extra power step"
        case .optimizer: "Adam"
        case .finiteCheck: "finite-weight check"
        }
    }

    /// Slots for every part, for `GANTrainer.profile`.
    public static func times(clock: PartTimes.Clock = .wall) -> PartTimes { PartTimes(names: allCases.map(\.name), clock: clock) }
}
