import Foundation
import Sweep
import Testing
import TrialProtocol

/// The error a spec raises (fails the test when it parses).
private func specError(_ yaml: String) -> SpecError? {
    do { _ = try parse(yaml); Issue.record("spec parsed but should not"); return nil } catch let e as SpecError { return e } catch {
        Issue.record("unexpected error \(error)"); return nil
    }
}

@Suite struct SpecTests {
    @Test func gridHelpers() {
        #expect(logspace(1e-4, 1e-2, 3) == [1e-4, 1e-3, 1e-2])
        #expect(logspace(1e-4, 1e-2, 5)[1] == 0.000316227766017)
        #expect(linspace(0, 1, 5) == [0, 0.25, 0.5, 0.75, 1])
    }

    @Test func marginMultipliesOnlyHingeAndAlphaOnlyItsUsers() throws {
        let spec = try parse("""
            training: {epochs: 30}
            grid:
              regularizer: [sn, hinge, alpha-k]
              margin: [1, 8]
              lr: {logspace: [1e-4, 1e-2, 3]}
            regularizers:
              alpha-k: {alpha: [0.5, 2]}
            repeats: 2
            """)
        // sn: 3 lr × 2 seeds; hinge: 2 margins × 3 × 2; alpha-k: 2 alphas × 3 × 2.
        #expect(spec.trials.count == 6 + 12 + 12)
        let sn = spec.trials.filter { $0.config.training.regularizer == .sn }
        #expect(sn.allSatisfy { $0.config.training.margin == nil && $0.config.training.alpha == nil })
        let hinge = spec.trials.filter { $0.config.training.regularizer == .hinge }
        #expect(Set(hinge.compactMap(\.config.training.margin)) == [1, 8])
        #expect(hinge.allSatisfy { $0.config.training.alpha == 1 })
        let alphaK = spec.trials.filter { $0.config.training.regularizer == .alphaK }
        #expect(Set(alphaK.compactMap(\.config.training.alpha)) == [0.5, 2])
        #expect(Set(spec.trials.map(\.config.training.lr)) == [1e-4, 1e-3, 1e-2])
        #expect(Set(spec.trials.map(\.config.training.seed)) == [1, 2])
        #expect(Set(spec.trials.map(\.configHash)).count == spec.trials.count)
        #expect(spec.trials.map(\.number) == Array(0..<30))
    }

    @Test func configHashIsStableAndIgnoresSpelling() throws {
        let a = try parse("grid: {regularizer: [sn], lr: [0.001]}\nseeds: [3]")
        let b = try parse("# same trial written differently\ntraining: {regularizer: sn, lr: 1e-3, seed: 3}\nmodel: {preset: tiny}")
        #expect(a.trials.map(\.configHash) == b.trials.map(\.configHash))
        // The hash is SHA-256 of the canonical JSON (sorted keys), fixed across releases.
        #expect(a.trials[0].configHash == ContentHash.sha256Hex(a.trials[0].config.canonicalJSON))
        let json = String(decoding: a.trials[0].config.canonicalJSON, as: UTF8.self)
        #expect(json.hasPrefix("{\"dataset\":{\"seed\":1,\"source\":\"simulated\""))
        let c = try parse("grid: {regularizer: [sn], lr: [0.002]}\nseeds: [3]")
        #expect(c.trials[0].configHash != a.trials[0].configHash)
    }

    @Test func presetDefaultsAreExplicit() throws {
        let spec = try parse("model: {preset: paper}\ntraining: {regularizer: sn}")
        let c = spec.trials[0].config
        #expect(c.training.epochs == 150 && c.dataset.train == 60_000 && c.evaluation.clusters == 400 && c.training.batch == 256)
    }

    @Test func unknownKeyNamesLineAndSuggests() {
        let e = specError("name: x\ntraining:\n  learning_rate: 1e-3\n  lr: 1e-3\n")
        #expect(e?.line == 3)
        #expect(e?.keyPath == "training.learning_rate")
        let e2 = specError("name: x\ntrainig:\n  lr: 1e-3\n")
        #expect(e2?.description.contains("did you mean `training`?") == true)
        #expect(e2?.description.hasPrefix("t.yaml:2: ") == true)
    }

    @Test func badValuesNameTheirLine() throws {
        #expect(specError("grid:\n  lr: [1e-3, -1e-3]\n")?.line == 2)
        #expect(specError("training:\n  lr: -0.1\n")?.description.contains("must be positive, found -0.1") == true)
        let margin = specError("grid:\n  regularizer: [sn, l2]\n  margin: [2]\n")
        #expect(margin?.line == 3)
        #expect(margin?.description.contains("hinge") == true)
        let window = specError("training:\n  epochs: 10\nqg:\n  epochs: 30\n")
        #expect(window?.line == 4)
        #expect(window?.description.contains("longer than the 10 training epochs") == true)
        let npz = specError("dataset:\n  source: npz\n  path: nowhere/events.npz\n")
        #expect(npz?.line == 3)
        #expect(npz?.description.contains("no such file") == true)
        // A hinge sweep without a margin takes the default m = 2 (TrialProtocol), as `train` does.
        #expect(try parse("grid:\n  regularizer: [hinge]\n").trials.map(\.config.training.margin) == [2])
        #expect(specError("regularizers:\n  sn: {margin: [2]}\ngrid: {regularizer: [sn]}\n")?.line == 2)
        #expect(specError("training:\n  regularizer: spectral\n")?.line == 2)
        #expect(specError("seeds: [1]\nrepeats: 2\n") != nil)
        #expect(specError("name: ../escape\n")?.line == 1)
        #expect(specError("name: a b\n")?.description.contains("cannot name a sweep") == true)
    }

    @Test func malformedYAMLHasALine() {
        let e = specError("name: x\ngrid:\n  lr: [1e-3, 3e-3\n  loss: hinge\n")
        #expect(e?.line != nil)
        #expect(e?.description.contains("malformed YAML") == true)
    }
}
