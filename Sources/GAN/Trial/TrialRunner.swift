import Calo
import Foundation
import Metrics
import NN
import Tensor
import TrialProtocol

/// How a trial ended: the protocol's `end` line (TrialProtocol's EndLine).
public struct TrialOutcome: Sendable, Equatable {
    public typealias State = EndLine.State
    public var state: State
    public var epochs: Int
    public var qualityGain: QualityGain
    public var boundCheck: LipschitzBoundCheck
    public var error: String?
    public var divergedAtStep: Int?

    public var endLine: EndLine {
        EndLine(state: state, epochs: epochs,
                figures: QualityGainFigures(qg: qualityGain.value, qgSlope: qualityGain.slope, l30: boundCheck.bound,
                                            twoOverL30: boundCheck.twoOverBound, lrWithinBound: boundCheck.lrWithinBound,
                                            twoOverM: boundCheck.twoOverMargin),
                error: error, divergedAtStep: divergedAtStep)
    }

    public var jsonLine: String { endLine.json }
}

/// One trial from start (or checkpoint) to its end line: trains epoch by epoch, measures the
/// Lipschitz figures, evaluates every `eval_every` epochs, writes the checkpoint, then emits
/// the epoch's line (so a line seen means its checkpoint is on disk). A trial that completed
/// then emits the `histograms` line (Appendix C data of the final generator), then `end`.
public final class TrialRunner {
    public let config: TrialConfig
    public let settings: TrialSettings
    public let checkpointDirectory: URL?
    public let threads: Int

    public init(config: TrialConfig, checkpointDirectory: URL?, threads: Int = 1) {
        self.config = config; self.settings = TrialSettings(config)
        self.checkpointDirectory = checkpointDirectory; self.threads = threads
    }

    /// Runs the trial. `emit` receives each protocol line (stdout), `progress` human text (stderr).
    /// `stopAfter` ends the run after that many epochs in total without the histograms and end
    /// lines (tests of resume; a killed worker), even when that is every epoch.
    @discardableResult
    public func run(resume: Bool, stopAfter: Int? = nil, emit: (String) -> Void,
                    progress: (String) -> Void = { _ in }) throws -> TrialOutcome? {
        BLAS.threads = threads
        let data = try TrialData.load(settings, threads: threads)
        let evaluator = try Evaluator(trial: settings, data: data)
        var trainer = GANTrainer(model: settings.model, options: settings.training, data: data.training)
        var records: [EpochRecord] = []
        if resume, let dir = checkpointDirectory {
            do {
                if let saved = try Checkpoint.read(from: dir) {
                    records = try restore(saved, into: trainer, file: Checkpoint.url(in: dir).path)
                    for r in records { emit(r.jsonLine(replayed: true)) }
                    progress("resumed after epoch \(saved.state.epoch) (\(records.count) epoch lines replayed)")
                }
            } catch {
                // A torn, truncated or foreign checkpoint never stops a trial: it is set aside
                // and the trial starts afresh; being deterministic, it recomputes the same
                // epochs, which the scheduler stores over the old ones.
                let aside = Checkpoint.setAside(in: dir)
                progress("\(error.file) \(error.problem): set aside as \(aside); starting the trial afresh")
                trainer = GANTrainer(model: settings.model, options: settings.training, data: data.training)
                records = []
            }
        }
        var divergence: Divergence?
        while records.count < settings.epochs {
            if let stop = stopAfter, records.count >= stop { return nil }
            let epoch = records.count + 1
            let start = DispatchTime.now()
            let losses: EpochLosses
            do { losses = try trainer.trainEpoch(threads: threads) } catch {
                divergence = error
                progress("epoch \(epoch): diverged (\(error))")
                break
            }
            let trainSeconds = seconds(since: start)
            let evalStart = DispatchTime.now()
            let epochSeed = Self.epochSeed(settings, epoch: epoch)
            let lipschitz = trainer.measureLipschitz(seed: epochSeed)
            var scores: EpochScores?
            var evalSeconds: Double?
            if epoch % settings.evaluation.evalEvery == 0 {
                scores = try evaluator.evaluate(trainer.generator, seed: epochSeed)
                evalSeconds = seconds(since: evalStart)
            }
            let prd = scores.map { (raw: $0.rawPRD, physical: $0.physicalPRD) }
            let record = EpochRecord(epoch: epoch, losses: losses, prd: prd, lipschitz: lipschitz,
                                     trainSeconds: trainSeconds, evalSeconds: evalSeconds, distances: scores?.distances)
            records.append(record)
            if let dir = checkpointDirectory {
                let state = CheckpointState(config: config, epoch: epoch, discriminatorSteps: trainer.discriminatorStepCount,
                                            random: trainer.random, lecam: trainer.lecam, statistics: data.statistics,
                                            records: records)
                try Checkpoint.write(state, generator: trainer.generator.store.stateBytes(),
                                     discriminator: trainer.discriminator.store.stateBytes(), to: dir)
            }
            emit(record.jsonLine(replayed: false))
            progress(String(format: "epoch %d/%d  D %.4f  G %.4f  reg %.4f  RAW %@  Phys %@  FPD %@  L %.3g  emp %.3g  Π|k| %.3g  (%.1f s + %.1f s)",
                            epoch, settings.epochs, losses.discriminator, losses.generator, losses.regularization,
                            prd.map { String(format: "%.3f", $0.raw) } ?? "–", prd.map { String(format: "%.3f", $0.physical) } ?? "–",
                            record.fpd.map { String(format: "%.3g", $0) } ?? "–", lipschitz.bound, lipschitz.empirical, lipschitz.kProduct, trainSeconds, evalSeconds ?? 0))
        }
        // A worker stopped (killed) after its last epoch's checkpoint but before this point
        // resumes with every epoch done and lands here too, so the histograms line survives it.
        if let stop = stopAfter, records.count >= stop, divergence == nil { return nil }
        if divergence == nil, let last = records.last {
            let histograms = evaluator.histograms(trainer.generator, seed: Self.epochSeed(settings, epoch: last.epoch))
            emit(histograms.jsonLine(epoch: last.epoch))
        }
        let outcome = Self.outcome(settings: settings, records: records, divergence: divergence)
        emit(outcome.jsonLine)
        return outcome
    }

    /// Restores a checkpoint into a fresh trainer; returns its epoch records. A checkpoint of
    /// another config, or with stores of another shape, is unusable.
    private func restore(_ saved: (state: CheckpointState, generator: [UInt8], discriminator: [UInt8]), into trainer: GANTrainer,
                         file: String) throws(CheckpointError) -> [EpochRecord] {
        guard saved.state.config == config else { throw CheckpointError(file: file, problem: "was written for another trial config") }
        do {
            try trainer.generator.store.restore(from: saved.generator)
            try trainer.discriminator.store.restore(from: saved.discriminator)
        } catch {
            throw CheckpointError(file: file, problem: error.description)
        }
        trainer.random = saved.state.random
        trainer.discriminatorStepCount = saved.state.discriminatorSteps
        trainer.lecam = saved.state.lecam
        return saved.state.records
    }

    /// The end line's figures from the epochs that ran (docs/science.md §7).
    public static func outcome(settings: TrialSettings, records: [EpochRecord], divergence: Divergence?) -> TrialOutcome {
        let n = settings.qualityGain.epochs, metric = settings.qualityGain.metric
        let series = records.map { record in metric.value(in: record.field) ?? .nan }
        let qg = QualityGain.compute(series, epochs: n, metric: metric)
        let reg = settings.training.regularizer
        let check = LipschitzBoundCheck.compute(bounds: records.map(\.lipschitzBound), learningRate: settings.training.learningRate,
                                                hingeMargin: reg.kind == .hinge ? reg.margin : nil, epochs: n)
        let error: String? = divergence.map { "diverged: \($0.description)" } ?? qg.reason ?? check.reason
        return TrialOutcome(state: divergence == nil ? .completed : .diverged, epochs: records.count,
                            qualityGain: qg, boundCheck: check, error: error, divergedAtStep: divergence?.step)
    }

    /// The seed of epoch `epoch`'s Lipschitz measurement and evaluation (and of the final
    /// histograms, drawn for the last epoch).
    static func epochSeed(_ settings: TrialSettings, epoch: Int) -> UInt64 {
        settings.training.seed &* 0x9E37_79B9 &+ UInt64(epoch)
    }

    private func seconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }
}
