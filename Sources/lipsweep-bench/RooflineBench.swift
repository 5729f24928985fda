import Calo
import Foundation
import GAN
import Metrics
import NN
import Tensor
import TrialProtocol

let rooflineBenchSection = BenchSection(
    name: "roofline", summary: "FLOPs per training sample, GFLOP/s vs sgemm, time per part (train + evaluation); PRESET to restrict"
) { runRooflineBench() }

/// Where the trainer's and the evaluation's time goes (issue 23), one BLAS thread, for `tiny`
/// and `small` (`lipsweep-bench roofline PRESET`: that one only). On a shared machine every
/// figure is quoted against sgemm measured in the same run, the header gives the load, and
/// times are process CPU seconds (one thread: the work itself, which other processes on the
/// cores inflate far less than wall time; wall time is printed beside the epoch's).
///  1. FLOPs per training sample, counted from the networks' layers (`TrainingFLOPs`), for
///     the twin protocol's regulariser (hinge m = 8: SN and trainable k_i) and the sweep's
///     `sn` trials (SN, k_i frozen);
///     training samples/s and GFLOP/s of one epoch (synthetic data as `gan`, N = 5120), as a
///     fraction of sgemm at 512³ and at the model's largest GEMM shapes.
///  2. Time per part of that epoch (the trainer's opt-in `profile`), then every layer's
///     forward and backward timed alone at the step's batch: ms per call, GFLOP/s, and its
///     share of an epoch (per-sample time × the samples the layer sees per epoch).
///  3. The evaluation's parts (generation, features, k-means, PRD, distances; the Lipschitz
///     measurement, which the epoch record counts as evaluation time), and the evaluation's
///     share of an epoch of the preset's training set with the real-sample cache off
///     (before) and on (after).
func runRooflineBench() {
    BLAS.threads = 1
    let requested = CommandLine.arguments.dropFirst(2).first.flatMap(Preset.init(rawValue:))
    let presets = requested.map { [$0] } ?? [Preset.tiny, .small]
    let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?
        .split(separator: " ").prefix(3).joined(separator: " ") ?? "unknown"
    let date = ISO8601DateFormatter().string(from: Date())
    print("== roofline (1 thread, OpenBLAS \(BLASCore.loaded), \(date), load average \(load) on "
          + "\(ProcessInfo.processInfo.activeProcessorCount) cores) ==")
    let reference = GEMMShape(m: 512, n: 512, k: 512)
    let peak = sgemmRate(reference)
    print("sgemm \(reference): \(fixed(peak)) GFLOP/s (the reference below)")
    for preset in presets {
        for regularizer in [Regularizer(kind: .hinge, alpha: 1, margin: 8), Regularizer(kind: .sn)] {
            trainingRoofline(preset, regularizer: regularizer, sgemmPeak: peak)
        }
        evaluationRoofline(preset, sgemmPeak: peak)
    }
}

/// sgemm's GFLOP/s (by CPU time) at one shape, no transposes.
func sgemmRate(_ shape: GEMMShape) -> Double { sgemmRate(m: shape.m, n: shape.n, k: shape.k).cpu }

/// One layer's isolated forward and backward at `batch` samples.
struct LayerTiming {
    var name: String, layer: any Layer, batch: Int, forward: Double, backward: Double
    var flops: LayerFLOPs { layer.flopsPerSample }
}

/// Times every layer of `network` alone: a forward of `batch` random samples in `mode`, then a
/// backward of random ∂L/∂y (parameter gradients on). Layers without an input shape yet
/// (a Flatten before its first forward) or without work are left out.
func timeLayers(_ network: NetworkLayers, batch: Int) -> [LayerTiming] {
    var rng = SeededRandom(seed: 5)
    func tensor(_ shape: [Int]) -> Tensor {
        let t = Tensor(n: batch, c: shape[0], h: shape.count > 1 ? shape[1] : 1, w: shape.count > 2 ? shape[2] : 1)
        for i in 0..<t.count { t.data[i] = Float(rng.normal()) }
        return t
    }
    var timings: [LayerTiming] = []
    for (index, entry) in network.entries.enumerated() {
        let layer = entry.layer
        guard layer.inputShape.reduce(1, *) > 0, layer.flopsPerSample.forward > 0 else { continue }
        let x = tensor(layer.inputShape), dy = tensor(layer.outputShape)
        let forward = measure(minimumSeconds: 0.1) { _ = layer.forward(x, mode: .training) }
        let backward = measure(minimumSeconds: 0.1) { _ = layer.forward(x, mode: .training); _ = layer.backward(dy) }
        let name = entry.name ?? "\(String(describing: type(of: layer)).prefix(5))#\(index)"
        timings.append(LayerTiming(name: name, layer: layer, batch: batch, forward: forward.bestCPU,
                                   backward: max(0, backward.bestCPU - forward.bestCPU)))
    }
    return timings
}

/// GFLOP/s of `flops` done in `seconds`; "–" below the CPU clock's resolution.
private func gflopsText(_ flops: Double, _ seconds: Double) -> String { seconds < 1e-6 ? "–" : fixed(flops / seconds / 1e9, 1) }

/// FLOPs, samples/s, GFLOP/s, the part table and the layer table of one training epoch.
func trainingRoofline(_ preset: Preset, regularizer: Regularizer, sgemmPeak: Double) {
    let b = PresetValues(preset).batch, model = ModelConfig(preset: preset)
    let options = TrainingOptions(batch: b, loss: .hinge, discriminatorSteps: 3, regressionWeight: 1, learningRate: 1e-4,
                                  regularizer: regularizer, seed: 1)
    let warm = GANTrainer(model: model, options: options, data: syntheticTrainingSet(4 * b, seed: 2))
    _ = try? warm.trainEpoch()
    let trainer = GANTrainer(model: model, options: options, data: syntheticTrainingSet(benchEvents, seed: 1))
    let flops = trainer.flopsPerTrainingSample
    let samples = Double(benchEvents / b * b)
    // One epoch untimed inside, then one with the part timers (the figures above come from the first).
    let plain = once { _ = try? trainer.trainEpoch() }
    trainer.profile = TrainingPart.times(clock: .threadCPU)
    let profiled = once { _ = try? trainer.trainEpoch() }
    let rate = samples / plain.bestCPU, gflops = rate * flops.total / 1e9
    let label = "\(preset.rawValue), regularizer \(regularizer.kind.rawValue)\(regularizer.kind.usesSpectralNorm ? " (SN)" : "")"
    print("\n-- training \(label): batch \(b), N = \(benchEvents), d_steps 3 --")
    func mflop(_ x: Double) -> String { fixed(x / 1e6, 2) }
    print("FLOPs per training sample: \(mflop(flops.total)) M  (G fwd \(mflop(flops.generatorForward)), "
          + "D fwd \(mflop(flops.discriminatorForward)), D bwd \(mflop(flops.discriminatorBackward)), "
          + "G bwd \(mflop(flops.generatorBackward)), SN \(mflop(flops.spectralNorm)), Adam \(mflop(flops.optimizer)))")
    print("epoch \(fixed(plain.bestCPU, 2)) s CPU (\(fixed(plain.best, 2)) s wall): \(fixed(rate, 0)) samples per CPU-second, "
          + "\(fixed(gflops, 1)) GFLOP/s = \(fixed(100 * gflops / sgemmPeak, 0)) % of sgemm 512³"
          + " (by wall time \(fixed(samples / plain.best * flops.total / 1e9, 1)) GFLOP/s)")

    // The largest GEMMs the model issues (forward, at the step's batch), and sgemm on those shapes.
    let generatorLayers = timeLayers(trainer.generator.network, batch: b)
    let discriminatorLayers = timeLayers(trainer.discriminator.network, batch: 2 * b)
    let gemms = (generatorLayers + discriminatorLayers).compactMap { t in t.layer.forwardGEMM(batch: t.batch).map { (t.name, $0) } }
    let largest = gemms.sorted { $0.1.flops > $1.1.flops }.prefix(3)
    for (name, shape) in largest {
        let r = sgemmRate(shape)
        print("  largest GEMM \(pad(name, 5)) \(pad(shape.description, 14)) sgemm \(fixed(r, 1)) GFLOP/s = "
              + "\(fixed(100 * r / sgemmPeak, 0)) % of 512³; training reaches \(fixed(100 * gflops / r, 0)) % of it")
    }

    // Time per part, from the profiled epoch.
    guard let times = trainer.profile else { return }
    print(pad("part", 31) + pad("s/epoch", 10) + "share")
    for (i, name) in times.names.enumerated() {
        print(pad("  " + name, 31) + pad(fixed(times.seconds[i], 3), 10) + fixed(100 * times.seconds[i] / profiled.bestCPU, 1) + " %")
    }
    let other = profiled.bestCPU - times.total
    print(pad("  other (losses, scales, loop)", 31) + pad(fixed(other, 3), 10) + fixed(100 * other / profiled.bestCPU, 1) + " %")
    print(pad("  epoch (profiled)", 31) + fixed(profiled.bestCPU, 3) + " s CPU (" + fixed(profiled.best, 3) + " s wall)")

    // Layer by layer: samples per epoch through each network's forward and backward.
    let steps = Double(benchEvents / b), gSteps = steps / 3, bb = Double(b)
    print(pad("layer", 11) + pad("GEMM (fwd)", 15) + pad("MFLOP/sample f/b", 18) + pad("ms/call fwd", 12) + pad("bwd", 8)
          + pad("GFLOP/s fwd", 12) + pad("bwd", 8) + pad("s/epoch", 9) + "share")
    for (network, timings, forwardSamples, backwardSamples) in [
        ("G", generatorLayers, steps * bb + gSteps * bb, gSteps * bb),
        ("D", discriminatorLayers, steps * 2 * bb + gSteps * bb, steps * 2 * bb + gSteps * bb),
    ] {
        for t in timings {
            let f = t.flops, n = Double(t.batch)
            let backwardFLOPs = Double(f.inputGradient + f.parameterGradient)
            let perEpoch = t.forward / n * forwardSamples + t.backward / n * backwardSamples
            print(pad("\(network).\(t.name)", 11) + pad(t.layer.forwardGEMM(batch: t.batch)?.description ?? "–", 15)
                  + pad("\(fixed(Double(f.forward) / 1e6, 3)) / \(fixed(backwardFLOPs / 1e6, 3))", 18)
                  + pad(fixed(t.forward * 1e3, 3), 12) + pad(fixed(t.backward * 1e3, 3), 8)
                  + pad(gflopsText(Double(f.forward) * n, t.forward), 12) + pad(gflopsText(backwardFLOPs * n, t.backward), 8)
                  + pad(fixed(perEpoch, 3), 9) + fixed(100 * perEpoch / profiled.bestCPU, 1) + " %")
        }
    }
    print("  (layers alone at batch B (G) and 2B (D), training mode, CPU time; s/epoch = per-sample time × samples per"
          + " epoch, the G step's D backward (∂x only) counted as a full one; share of the profiled epoch's CPU time)")
}

/// The evaluation's parts, and its share of an epoch before and after the real-sample cache.
func evaluationRoofline(_ preset: Preset, sgemmPeak: Double) {
    let (p, trial, g) = evaluationSetup(preset)
    func evaluator(cached: Bool) -> Evaluator? {
        try? Evaluator(test: trial.test, statistics: trial.statistics, clusters: p.clusters, runs: p.prdRuns,
                       zOffset: 7, threshold: 0.01, cachesRealSample: cached)
    }
    guard let before = evaluator(cached: false), let after = evaluator(cached: true) else { return }
    // A sweep trial of this preset: its training set, the sweep's `sn` regulariser.
    let options = TrainingOptions(batch: p.batch, loss: .hinge, discriminatorSteps: 3, regressionWeight: 1, learningRate: 1e-3,
                                  regularizer: Regularizer(kind: .sn), seed: 1)
    let trainer = GANTrainer(model: ModelConfig(preset: preset), options: options, data: syntheticTrainingSet(p.trainEvents, seed: 1))
    print("\n-- evaluation \(preset.rawValue): \(p.testEvents) test events, k = \(p.clusters), \(p.prdRuns) runs; "
          + "epoch of \(p.trainEvents) training events (sn) --")
    _ = try? before.evaluate(g, seed: 1)
    _ = try? after.evaluate(g, seed: 1)
    var train = Timing(best: .infinity, mean: 0, bestCPU: .infinity)
    var uncached = train, cached = train, lipschitz = train
    let rounds = 5
    for round in 0..<rounds {
        train = fastest(train, once { _ = try? trainer.trainEpoch() })
        lipschitz = fastest(lipschitz, once { _ = trainer.measureLipschitz(seed: UInt64(round)) })
        uncached = fastest(uncached, once { _ = try? before.evaluate(g, seed: 1) })
        cached = fastest(cached, once { _ = try? after.evaluate(g, seed: 1) })
    }
    // The parts, from one more profiled evaluation with the cache.
    after.profile = EvaluationPart.times(clock: .threadCPU)
    after.prdProfile = PRDPart.times(clock: .threadCPU)
    after.distancesProfile = PhysicsDistancePart.times(clock: .threadCPU)
    let profiled = once { _ = try? after.evaluate(g, seed: 1) }
    let kmeansShape = GEMMShape(m: min(1024, 2 * p.testEvents), n: p.clusters, k: 900)
    let kmeansRate = sgemmRate(m: kmeansShape.m, n: kmeansShape.n, k: kmeansShape.k, transB: true).cpu
    print("k-means' GEMM (RAW, batch × k × 900, Bᵀ) \(kmeansShape): sgemm \(fixed(kmeansRate, 1)) GFLOP/s = "
          + "\(fixed(100 * kmeansRate / sgemmPeak, 0)) % of 512³")
    print(pad("part (one profiled evaluation, CPU)", 38) + pad("s/evaluation", 14) + "share of the evaluation")
    func row(_ name: String, _ seconds: Double) {
        print(pad("  " + name, 38) + pad(fixed(seconds, 3), 14) + fixed(100 * seconds / profiled.bestCPU, 1) + " %")
    }
    for times in [after.profile, after.prdProfile, after.distancesProfile].compactMap({ $0 }) {
        for (i, name) in times.names.enumerated() { row(name, times.seconds[i]) }
    }
    print("  (RAW PRD and Physical PRD each include their share of the PRD rows; distances include its rows)")
    row("evaluation (profiled)", profiled.bestCPU)
    print(pad("  Lipschitz measurement", 38) + pad(fixed(lipschitz.bestCPU, 3), 14) + "(CPU; the epoch record counts it as evaluation)")
    print("share of a \(preset.rawValue) epoch (CPU seconds, best of \(rounds) alternating rounds):")
    for (label, eval) in [("before (cache off)", uncached), ("after (cache on)", cached)] {
        let evaluation = eval.bestCPU + lipschitz.bestCPU
        print(pad("  \(label)", 22) + "evaluation \(fixed(eval.bestCPU, 3)) s + Lipschitz \(fixed(lipschitz.bestCPU, 3)) s; "
              + "training \(fixed(train.bestCPU, 3)) s: evaluation = \(fixed(100 * evaluation / (evaluation + train.bestCPU), 1)) % of the epoch"
              + " (without Lipschitz \(fixed(100 * eval.bestCPU / (eval.bestCPU + train.bestCPU), 1)) %)")
    }
}

/// Synthetic training events as the twin protocol's (X ~ U(0,1), c and asymmetries ~ N(0,1)).
func syntheticTrainingSet(_ n: Int, seed: UInt64) -> TrainingSet {
    var rng = SeededRandom(seed: seed)
    return TrainingSet(images: (0..<(n * 900)).map { _ in Float(rng.uniform()) },
                       conditions: (0..<(n * 5)).map { _ in Float(rng.normal()) },
                       asymmetries: (0..<(n * 2)).map { _ in Float(rng.normal()) })
}

/// One run of `body`: its wall and process CPU seconds.
func once(_ body: () -> Void) -> Timing {
    let cpu0 = processCPUSeconds(), start = DispatchTime.now().uptimeNanoseconds
    body()
    let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    return Timing(best: wall, mean: wall, bestCPU: processCPUSeconds() - cpu0)
}

/// The better of two timings, figure by figure.
func fastest(_ a: Timing, _ b: Timing) -> Timing {
    Timing(best: min(a.best, b.best), mean: (a.mean + b.mean) / 2, bestCPU: min(a.bestCPU, b.bestCPU))
}
