import ArgumentParser
import Calo
import Foundation
import Metrics
import Tensor
import UserErrors

/// `lipsweep evaluate`: RAW PRD, Physical PRD and the physics distances (FPD, KPD, KID, W1) of
/// any generator's events against real ones, so a user can score, e.g., their own PyTorch
/// model's output with the sweep's metrics and compare with published FPD/KPD figures.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score generated calorimeter events against real ones: PRDs, FPD, KPD, KID and W1.",
        discussion: """
            Both files are .npz with EnergyDeposit (N×30×30, GeV), ParticleMomentum (N×3) and \
            ParticlePoint (N×2). RAW PRD clusters the 900 log(1+E) cell values, Physical PRD the \
            54 physics features standardised with the real sample's statistics; each is the area \
            under the PRD curve (Sajjadi et al. 2018) averaged over --runs clusterings. \
            The quality score is the smaller of the two. Then, on the 54 physics features \
            (each divided by the real sample's max |value|): FPD ± the standard error of its \
            extrapolation, KPD and KID ± half their 16–84 % inter-quantile range (Kansal et al. \
            2023, jetnet's definitions), and the Wasserstein-1 distance of the four scalar \
            features and the mean over the 50 sparsity features, in the features' own units. \
            Lower distances are better. --metrics selects what to compute and print.
            """)

    @Option(help: "Real (reference) events, .npz.")
    var real: String

    @Option(help: "Generated events to score, .npz.")
    var generated: String

    @Option(help: "Number of k-means clusters.")
    var clusters: Int = PRDOptions().kmeans.clusters

    @Option(help: "Clusterings whose PRD curves are averaged.")
    var runs: Int = PRDOptions().runs

    @Option(name: .customLong("z-off"), help: "Shower-axis offset for the physics features, in cells (7 for the simulated data, 25 in the LHCb challenge code).")
    var zOff: Float = PhysicsFeatures.defaultZOffset

    @Option(help: "Seed of the clusterings.")
    var seed: UInt64 = 0

    @Option(help: "Write both averaged PRD curves to this CSV file (metric,index,lambda,precision,recall).")
    var curve: String?


    @OptionGroup var threadsOption: ThreadsOption
    @Option(help: "Comma-separated metrics to compute: prd, fpd, kpd, kid, w1.")
    var metrics: String = EvaluationMetric.allCases.map(\.rawValue).joined(separator: ",")

    /// The metrics `--metrics` names (checked in `validate`).
    var selectedMetrics: Set<EvaluationMetric> {
        Set(metrics.split(separator: ",").compactMap { EvaluationMetric(rawValue: $0.trimmingCharacters(in: .whitespaces)) })
    }

    func validate() throws {
        if clusters < 1 { throw ValidationError("--clusters \(clusters): use an integer ≥ 1 (default \(PRDOptions().kmeans.clusters))") }
        if runs < 1 { throw ValidationError("--runs \(runs): use an integer ≥ 1 (default \(PRDOptions().runs))") }
        if !zOff.isFinite { throw ValidationError("--z-off \(zOff): use a finite number of cell units (default \(String(format: "%g", Double(PhysicsFeatures.defaultZOffset))))") }
        let names = metrics.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        let allowed = EvaluationMetric.allCases.map(\.rawValue).joined(separator: ", ")
        for name in names where EvaluationMetric(rawValue: name) == nil {
            throw ValidationError("--metrics \(metrics): '\(name)' is not a metric; use a comma-separated list of \(allowed)")
        }
        if curve != nil && !selectedMetrics.contains(.prd) {
            throw ValidationError("--curve \(curve!): the PRD curves need prd in --metrics (got \(metrics))")
        }
    }

    func run() throws {
        let realEvents = try load(real)
        let generatedEvents = try load(generated)
        BLAS.threads = threadsOption.threads
        let selected = selectedMetrics
        if selected.contains(.prd) {
            let scorer = try CaloPRD(options: PRDOptions(clusters: clusters, runs: runs), zOffset: zOff)
            let score = try scorer.evaluate(real: realEvents, generated: generatedEvents, seed: seed)
            print(String(format: "RAW PRD: %.6f", score.raw.auc))
            print(String(format: "Physical PRD: %.6f", score.physical.auc))
            print(String(format: "score (min): %.6f", score.score))
            if let curve { try writeCurves(score, to: curve) }
        }
        var distances = PhysicsDistanceSelection()
        if selected.contains(.fpd) { distances.insert(.fpd) }
        if selected.contains(.kpd) || selected.contains(.kid) { distances.insert(.kernel) }
        if selected.contains(.w1) { distances.insert(.w1) }
        guard !distances.isEmpty else { return }
        let features = { (events: CaloEvents) in
            FeatureMatrix(rows: events.count, columns: PhysicsFeatures.count,
                          values: PhysicsFeatures.compute(events, zOffset: zOff).values)
        }
        let evaluator = try PhysicsDistanceEvaluator(real: features(realEvents))
        let result = try evaluator.evaluate(generated: features(generatedEvents), seed: seed, selection: distances)
        func estimate(_ name: String, _ e: DistanceEstimate?) {
            if let e { print("\(name): \(Self.format(e.value)) ± \(Self.format(e.error, digits: 2))") }
        }
        if selected.contains(.fpd) { estimate("FPD", result.fpd) }
        if selected.contains(.kpd) { estimate("KPD", result.kpd) }
        if selected.contains(.kid) { estimate("KID", result.kid) }
        if selected.contains(.w1) {
            for (name, value) in [("asym_along", result.w1AsymmetryAlong), ("asym_across", result.w1AsymmetryAcross),
                                  ("width_along", result.w1WidthAlong), ("width_across", result.w1WidthAcross),
                                  ("sparsity", result.w1Sparsity)] {
                if let value { print("W1 \(name): \(Self.format(value))") }
            }
        }
    }

    /// `digits` significant digits, in scientific notation when small (distances of good
    /// samples are 1e-6…1e-3).
    static func format(_ x: Double, digits: Int = 6) -> String {
        x.isFinite ? String(format: "%.\(digits)g", x) : "\(x)"
    }

    /// Reads an event file and rejects what cannot be scored (no events, NaN/inf), naming the
    /// file, the array and the event.
    private func load(_ path: String) throws -> CaloEvents {
        let events = try CaloNPZ.read(URL(fileURLWithPath: path))
        guard events.count > 0 else {
            throw CaloFileError(file: path, key: CaloNPZ.energyKey, problem: "holds no events", fix: "give at least one event")
        }
        for (key, values, width) in [(CaloNPZ.energyKey, events.energy, CaloGrid.cells),
                                     (CaloNPZ.momentumKey, events.momentum, 3),
                                     (CaloNPZ.pointKey, events.point, 2)] {
            if let i = values.firstIndex(where: { !$0.isFinite }) {
                throw CaloFileError(file: path, key: key, problem: "event \(i / width) holds \(values[i])",
                                    fix: "remove or fix events with non-finite values")
            }
        }
        return events
    }

    /// metric,index,lambda,precision,recall — 1,001 rows per metric (raw, then physical).
    private func writeCurves(_ score: CaloPRDScore, to path: String) throws {
        var text = "metric,index,lambda,precision,recall\n"
        for (name, result) in [("raw", score.raw), ("physical", score.physical)] {
            for i in 0..<PRDCurve.angleCount {
                text += "\(name),\(i),\(PRDCurve.angles[i]),\(result.curve.precision[i]),\(result.curve.recall[i])\n"
            }
        }
        do {
            try text.write(to: URL(fileURLWithPath: path), atomically: true, encoding: .utf8)
        } catch {
            throw InvalidInput("\(path): cannot write the PRD curves (\(error.localizedDescription)); "
                + "give a path in an existing, writable directory")
        }
    }
}

/// What `lipsweep evaluate --metrics` may name.
enum EvaluationMetric: String, CaseIterable {
    case prd, fpd, kpd, kid, w1
}
