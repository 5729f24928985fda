import Foundation
import GAN
import TrialProtocol
import Testing

/// Checkpoint and resume (one thread): the metrics of 3 + resume + 3 epochs equal those of
/// 6 straight, bit for bit; the replayed lines come first and are marked.
@Suite(.serialized) struct ResumeTests {
    /// The fields of an epoch line before the physics distances, timings excepted.
    static let trainingKeys = ["epoch", "d_loss", "g_loss", "reg_loss", "raw_prd", "phys_prd", "lipschitz_bound",
                               "lipschitz_empirical", "k", "k_product"]
    /// The physics distances' fields.
    static let distanceKeys = ["fpd", "fpd_err", "kpd", "kpd_err", "kid", "w1_asym_along", "w1_asym_across",
                               "w1_width_along", "w1_width_across", "w1_sparsity"]

    /// Every field of an epoch line but the timings.
    static func metrics(_ o: [String: Any]) -> String { fields(o, trainingKeys + distanceKeys) }

    /// The fields of an epoch line before the physics distances, timings excepted.
    static func trainingMetrics(_ o: [String: Any]) -> String { fields(o, trainingKeys) }

    private static func fields(_ o: [String: Any], _ keys: [String]) -> String {
        keys.map { "\($0)=\(o[$0].map { "\($0)" } ?? "nil")" }.joined(separator: " ")
    }

    @Test func resumeGivesIdenticalMetrics() throws {
        let config = TrialFixtures.config(regularizer: .lecam, epochs: 6)
        let straight = try TrialFixtures.run(config)
        let dir = TrialFixtures.temporaryDirectory("resume")
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try TrialFixtures.run(config, directory: dir, stopAfter: 3)
        #expect(first.outcome == nil && first.lines.count == 3)
        let second = try TrialFixtures.run(config, directory: dir, resume: true)
        let a = TrialFixtures.objects(straight.lines).filter { $0["type"] as? String == "epoch" }
        let b = TrialFixtures.objects(second.lines).filter { $0["type"] as? String == "epoch" }
        #expect(b.count == 6)
        #expect(b.prefix(3).allSatisfy { $0["replayed"] as? Bool == true })
        #expect(b.suffix(3).allSatisfy { $0["replayed"] as? Bool == false })
        #expect(a.map(Self.metrics) == b.map(Self.metrics))
        #expect(straight.lines.last == second.lines.last)
        // A checkpoint of another config is set aside, never resumed from: that trial starts afresh.
        var other = config
        other.training.lr = 2e-3
        let afresh = try TrialFixtures.run(other, directory: dir, resume: true)
        let fresh = TrialFixtures.objects(afresh.lines).filter { $0["type"] as? String == "epoch" }
        #expect(fresh.count == 6 && fresh.allSatisfy { $0["replayed"] as? Bool == false })
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).contains { $0.hasPrefix(Checkpoint.fileName + ".unusable-") })
    }

    /// A torn checkpoint (cut short, emptied or scribbled over) never stops a trial: it is set
    /// aside and the trial recomputes the same epochs from scratch.
    @Test(arguments: ["truncated", "empty", "flipped"]) func tornCheckpointRestartsTheTrial(_ damage: String) throws {
        let config = TrialFixtures.config(regularizer: .sn, epochs: 3)
        let straight = try TrialFixtures.run(config)
        let dir = TrialFixtures.temporaryDirectory("torn-\(damage)")
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try TrialFixtures.run(config, directory: dir, stopAfter: 2)
        var bytes = try Data(contentsOf: Checkpoint.url(in: dir))
        switch damage {
        case "truncated": bytes = bytes.prefix(bytes.count * 2 / 3)
        case "empty": bytes = Data()
        default: bytes[bytes.count / 2] ^= 0x40      // one bit in the middle of the parameters
        }
        try bytes.write(to: Checkpoint.url(in: dir))
        #expect(throws: CheckpointError.self) { try Checkpoint.read(from: dir) }
        var progress: [String] = []
        var lines: [String] = []
        _ = try TrialRunner(config: config, checkpointDirectory: dir, threads: 1)
            .run(resume: true, emit: { lines.append($0) }, progress: { progress.append($0) })
        #expect(progress.contains { $0.contains("set aside") && $0.contains("starting the trial afresh") }, "\(progress)")
        let a = TrialFixtures.objects(straight.lines).filter { $0["type"] as? String == "epoch" }
        let b = TrialFixtures.objects(lines).filter { $0["type"] as? String == "epoch" }
        #expect(b.allSatisfy { $0["replayed"] as? Bool == false })
        #expect(a.map(Self.metrics) == b.map(Self.metrics))
        #expect(straight.lines.last == lines.last)
    }

    @Test func checkpointFileIsVersionedAndComplete() throws {
        let config = TrialFixtures.config(regularizer: .hinge, epochs: 1)
        let dir = TrialFixtures.temporaryDirectory("file")
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try TrialFixtures.run(config, directory: dir)
        let saved = try #require(try Checkpoint.read(from: dir))
        #expect(saved.state.epoch == 1 && saved.state.records.count == 1 && saved.state.config == config)
        #expect(saved.state.discriminatorSteps == 4)  // 256 events / batch 64
        let bytes = try Data(contentsOf: Checkpoint.url(in: dir))
        #expect(Array(bytes.prefix(8)) == Array("LIPSGAN\0".utf8))
        // No temporary file is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == [Checkpoint.fileName])
        // A truncated file is a clear error, not a crash.
        try bytes.prefix(bytes.count / 2).write(to: Checkpoint.url(in: dir))
        #expect(throws: CheckpointError.self) { try Checkpoint.read(from: dir) }
    }
}
