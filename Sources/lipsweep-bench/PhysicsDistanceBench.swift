import Calo
import Foundation
import GAN
import Metrics
import Tensor
import TrialProtocol

/// Evaluation time per epoch with and without the physics distances (issue 11's goal: FPD,
/// KPD, KID and the W1s together add at most 25 % to the PRD-only evaluation), on the `tiny`
/// (2,000 test events) and `small` (5,000) presets, one BLAS thread, a randomly initialised
/// generator. CPU seconds of the process (one thread: the work itself, less disturbed by
/// other processes than wall time) and wall seconds, the best of 7 runs alternating with the
/// other variant's. Then the distances alone, on the same generated events and on simulated
/// events (what a trained generator's look like; a random generator's degenerate features
/// cost FPD more).
/// `lipsweep-bench distances PRESET DISTANCE` (fpd, kernel or w1) only repeats that distance
/// for 10 s (profiling).
func runPhysicsDistanceBench() {
    BLAS.threads = 1
    let arguments = Array(CommandLine.arguments.dropFirst(2))
    if arguments.count == 2, let preset = Preset(rawValue: arguments[0]) {
        profileDistance(preset: preset, name: arguments[1])
        return
    }
    let rounds = 7
    print("== evaluation per epoch: PRD only (today) vs PRD + FPD, KPD, KID, W1 (1 thread, best of \(rounds)) ==")
    for preset in [Preset.tiny, .small] {
        let (p, trial, g) = evaluationSetup(preset)
        func evaluator(distances: Bool) -> Evaluator? {
            try? Evaluator(test: trial.test, statistics: trial.statistics, clusters: p.clusters, runs: p.prdRuns,
                           zOffset: 7, threshold: 0.01, physicsDistances: distances)
        }
        guard let prdOnly = evaluator(distances: false), let all = evaluator(distances: true) else { continue }
        // A warm-up each, then alternating single runs, so that a change in the machine's
        // load hits both alike; the best of `rounds`.
        _ = try? prdOnly.evaluate(g, seed: 1)
        _ = try? all.evaluate(g, seed: 1)
        var before = Timing(best: .infinity, mean: 0, bestCPU: .infinity), after = before
        for _ in 0..<rounds {
            before = fastest(before, once { _ = try? prdOnly.evaluate(g, seed: 1) })
            after = fastest(after, once { _ = try? all.evaluate(g, seed: 1) })
        }
        let label = "\(preset.rawValue) (\(p.testEvents) events, k=\(p.clusters), runs \(p.prdRuns))"
        print(pad("  \(label): PRD only", 54) + String(format: "%7.3f s CPU %7.3f s wall", before.bestCPU, before.best))
        print(pad("  \(label): PRD + distances", 54) + String(format: "%7.3f s CPU %7.3f s wall", after.bestCPU, after.best))
        print(pad("  \(label): ratio", 54) + String(format: "%7.3f   CPU %7.3f   wall  (goal ≤ 1.25)",
                                                          after.bestCPU / before.bestCPU, after.best / before.best))
        // The distances alone, timed over many repeats (a steadier figure than the difference
        // of two noisy totals): on this generator's events, and on simulated events as a
        // trained generator's would look.
        let real = features(trial.test)
        let randomG = features(CaloEvents(energy: generatedEnergy(g, trial: trial), momentum: trial.test.momentum,
                                          point: trial.test.point))
        let simulated = features(ShowerSimulator.simulate(count: trial.test.count, seed: 2))
        guard let distances = try? PhysicsDistanceEvaluator(real: real) else { continue }
        for (name, generated) in [("this generator's events", randomG), ("simulated events", simulated)] {
            var total = 0.0, parts: [String] = []
            for (part, selection) in [("FPD", PhysicsDistanceSelection.fpd), ("KPD+KID", .kernel), ("W1", .w1)] {
                let t = measure { _ = try? distances.evaluate(generated: generated, seed: 1, selection: selection) }
                total += t.bestCPU
                parts.append("\(part) \(fixed(t.bestCPU, 3))")
            }
            print(pad("    distances alone, \(name)", 54) + String(format: "%7.3f s CPU", total)
                  + "  (\(parts.joined(separator: ", ")); (PRD + these)/PRD = \(fixed((before.bestCPU + total) / before.bestCPU, 3)))")
        }
    }
}

/// The physics features of `events`.
private func features(_ events: CaloEvents) -> FeatureMatrix {
    FeatureMatrix(rows: events.count, columns: PhysicsFeatures.count,
                  values: PhysicsFeatures.compute(events, zOffset: 7).values)
}

/// One event of `g` per test condition, as the evaluator draws them (seed 1).
private func generatedEnergy(_ g: Generator, trial: TrialData) -> [Float] {
    var energy = [Float](repeating: 0, count: trial.test.count * CaloGrid.cells)
    var rng = SeededRandom(seed: 1, stream: 0xE7A1)
    let conditions = trial.statistics.standardisedConditions(trial.test)
    conditions.withUnsafeBufferPointer { c in
        energy.withUnsafeMutableBufferPointer { EventSampler.generate(g, conditions: c, threshold: 0.01, rng: &rng, into: $0) }
    }
    return energy
}

/// Repeats one distance of simulated against simulated events of the preset's test size.
private func profileDistance(preset: Preset, name: String) {
    let selections: [String: PhysicsDistanceSelection] = ["fpd": .fpd, "kernel": .kernel, "w1": .w1]
    let n = PresetValues(preset).testEvents
    guard let selection = selections[name],
          let distances = try? PhysicsDistanceEvaluator(real: features(ShowerSimulator.simulate(count: n, seed: 1))) else {
        print("usage: lipsweep-bench distances tiny|small fpd|kernel|w1")
        return
    }
    let generated = features(ShowerSimulator.simulate(count: n, seed: 2))
    let t = measure(minimumSeconds: 10) { _ = try? distances.evaluate(generated: generated, seed: 1, selection: selection) }
    print("\(name), \(preset.rawValue) (\(n) events): \(fixed(t.bestCPU, 3)) s CPU per evaluation")
}
