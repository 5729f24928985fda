import Foundation
import Testing

/// `lipsweep train --arch resnet` and `generate` from its checkpoint, through the binary.
@Suite struct ResNetCommandTests {
    @Test func trainAndGenerateWithTheResNetFamily() throws {
        let dir = TrainCommandTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ck = dir.appendingPathComponent("ck").path
        let trained = try Binary.run(["train", "--arch", "resnet", "--regularizer", "sn", "--epochs", "1",
                                      "--checkpoint-dir", ck] + TrainCommandTests.small)
        #expect(trained.status == 0, "stderr: \(trained.stderr)")
        let lines = trained.stdout.split(separator: "\n").compactMap(TrainCommandTests.json)
        #expect(lines.map { $0["type"] as? String } == ["epoch", "histograms", "end"])
        #expect(lines.first?["fpd"] is Double && lines.first?["w1_sparsity"] is Double)
        #expect((lines.first?["lipschitz_bound"] as? Double ?? 0) >= (lines.first?["lipschitz_empirical"] as? Double ?? 1))
        let conditions = dir.appendingPathComponent("c.npz").path, out = dir.appendingPathComponent("g.npz").path
        #expect(try Binary.run(["simulate", "--events", "50", "--output", conditions]).status == 0)
        let g = try Binary.run(["generate", "--checkpoint", ck, "--conditions", conditions, "--output", out])
        #expect(g.status == 0, "stderr: \(g.stderr)")
        let inspect = try Binary.run(["inspect", out])
        #expect(inspect.status == 0 && inspect.stdout.contains("50"), "\(inspect.stdout)")
    }

    @Test func unknownArchitectureExits2() throws {
        let r = try Binary.run(["train", "--arch", "vgg"] + TrainCommandTests.small)
        #expect(r.status == 2 && r.stderr.contains("dcgan, resnet"), "stderr: \(r.stderr)")
    }
}
