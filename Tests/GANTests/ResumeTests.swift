import Foundation
import GAN
import Testing

/// Checkpoint and resume (one thread): the metrics of 3 + resume + 3 epochs equal those of
/// 6 straight, bit for bit; the replayed lines come first and are marked.
@Suite(.serialized) struct ResumeTests {
    /// Every field of an epoch line but the timings.
    static func metrics(_ o: [String: Any]) -> String {
        let keys = ["epoch", "d_loss", "g_loss", "reg_loss", "raw_prd", "phys_prd", "lipschitz_bound",
                    "lipschitz_empirical", "k", "k_product"]
        return keys.map { "\($0)=\(o[$0].map { "\($0)" } ?? "nil")" }.joined(separator: " ")
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
        // A different config must not resume from this checkpoint.
        var other = config
        other.training.learningRate = 2e-3
        #expect(throws: CheckpointError.self) { try TrialFixtures.run(other, directory: dir, resume: true) }
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
