import Foundation
import Testing

/// `lipsweep train` / `generate` through the binary: the worker protocol's lines, exit codes,
/// config errors naming file and line.
@Suite struct TrainCommandTests {
    static let small = ["--train-events", "256", "--test-events", "100", "--clusters", "5", "--prd-runs", "1"]

    static func temporaryDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lipsweep-train-cli-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func json(_ line: Substring) -> [String: Any]? {
        try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
    }

    @Test func jsonLinesAndEndLine() throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try Binary.run(["train", "--epochs", "2", "--regularizer", "hinge", "--margin", "4",
                                "--checkpoint-dir", dir.path] + Self.small)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 4)
        let objects = lines.compactMap(Self.json)
        #expect(objects.count == lines.count, "every stdout line is one JSON object")
        #expect(objects.map { $0["type"] as? String } == ["epoch", "epoch", "histograms", "end"])
        let epochKeys: Set = ["type", "epoch", "d_loss", "g_loss", "reg_loss", "raw_prd", "phys_prd",
                              "fpd", "fpd_err", "kpd", "kpd_err", "kid", "w1_asym_along", "w1_asym_across",
                              "w1_width_along", "w1_width_across", "w1_sparsity", "lipschitz_bound",
                              "lipschitz_empirical", "k", "k_product", "train_seconds", "eval_seconds", "replayed"]
        #expect(Set(objects[0].keys) == epochKeys)
        for key in ["fpd", "fpd_err", "kpd", "kpd_err", "kid", "w1_asym_along", "w1_sparsity"] {
            #expect(objects[1][key] is Double, "\(key): \(objects[1][key] ?? "missing")")
        }
        #expect((objects[1]["k"] as? [Double])?.count == 3)
        #expect(objects[1]["epoch"] as? Int == 2 && objects[0]["replayed"] as? Bool == false)
        // The Appendix C line: 4 scalar features on 40 shared bins, the mean sparsity curve.
        let histograms = objects[2]
        #expect(histograms["epoch"] as? Int == 2 && histograms["real_events"] as? Int == 100
                && histograms["generated_events"] as? Int == 100)
        for name in ["asym_along", "asym_across", "width_along", "width_across"] {
            let h = try #require(histograms[name] as? [String: Any], "\(name)")
            #expect((h["edges"] as? [Double])?.count == 41)
            #expect((h["real"] as? [Int])?.reduce(0, +) == 100 && (h["generated"] as? [Int])?.reduce(0, +) == 100)
        }
        let sparsity = try #require(histograms["sparsity"] as? [String: Any])
        #expect((sparsity["alpha"] as? [Double])?.count == 50 && (sparsity["real"] as? [Double])?.count == 50
                && (sparsity["generated"] as? [Double])?.count == 50)
        let end = objects[3]
        let endKeys: Set = ["type", "state", "epochs", "qg", "qg_slope", "l_30", "two_over_l_30", "lr_within_bound",
                            "two_over_m", "error", "diverged_at_step"]
        #expect(Set(end.keys) == endKeys)
        #expect(end["state"] as? String == "completed" && end["epochs"] as? Int == 2)
        #expect(end["qg"] is NSNull && (end["error"] as? String)?.contains("qg_epochs") == true)
        #expect(end["two_over_m"] as? Double == 0.5)
        #expect(r.stderr.contains("epoch 2/2"))
        // Resume of a finished trial replays its lines and ends again.
        let again = try Binary.run(["train", "--epochs", "2", "--regularizer", "hinge", "--margin", "4",
                                    "--checkpoint-dir", dir.path, "--resume"] + Self.small)
        let replayed = again.stdout.split(separator: "\n").compactMap(Self.json)
        #expect(again.status == 0 && replayed.count == 4)
        #expect(replayed.prefix(2).allSatisfy { $0["replayed"] as? Bool == true })
        // …including the histograms line, the same numbers from the restored generator.
        #expect(again.stdout.split(separator: "\n")[2] == lines[2])
    }

    @Test func configFileAndQualityGain() throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("trial.yaml")
        try """
        dataset:
          source: simulated
          train: 256
          test: 100
          seed: 3
        model:
          preset: tiny
        training:
          epochs: 2
          regularizer: sn
          lr: 0.002
        evaluation:
          clusters: 5
          prd_runs: 1
        qg:
          epochs: 2
        """.write(to: config, atomically: true, encoding: .utf8)
        let r = try Binary.run(["train", "--config", config.path])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let end = try #require(r.stdout.split(separator: "\n").last.flatMap(Self.json))
        #expect(end["qg"] is Double && end["qg_slope"] is Double && end["l_30"] is Double)
        #expect(end["two_over_m"] is NSNull && end["error"] is NSNull)
    }

    @Test(arguments: [
        ("training:\n  lr: 0.001\n  learning_rate: 3\n", "trial.yaml:3", "unknown key `training.learning_rate`"),
        ("training:\n  lr: abc\n", "trial.yaml:2", "`training.lr` expected a number, found `abc`"),
        ("model:\n  preset: huge\n", "trial.yaml:2", "choose one of tiny, small, paper"),
        ("training:\n  regularizer: sn\n  batch: 0\n", "trial.yaml:3", "`training.batch`"),
        ("dataset:\n  source: npz\n", "trial.yaml", "needs a path"),
        ("data:\n  train: 3\n", "trial.yaml:1", "unknown section `data`"),
        ("training:\n  divergence_threshold: 0\n", "trial.yaml:2", "`training.divergence_threshold` must be positive, found 0"),
        ("training:\n  regularizer: sn\n  margin: 2\n", "trial.yaml:3", "sn does not use margin (margin only applies to hinge)"),
        ("dataset:\n  train: 50\n", "trial.yaml:2", "a batch of 64 is larger than the 50 training events"),
    ])
    func badConfigExits2(_ yaml: String, _ place: String, _ message: String) throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("trial.yaml")
        try yaml.write(to: config, atomically: true, encoding: .utf8)
        let r = try Binary.run(["train", "--config", config.path])
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains(place) && r.stderr.contains(message), "stderr: \(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count <= 2, "one clear message, no stack trace")
    }

    @Test func badOptionExits2() throws {
        let r = try Binary.run(["train", "--regularizer", "spectral"] + Self.small)
        #expect(r.status == 2 && r.stderr.contains("none, sn, alpha-k, l2, linf, hinge, lecam"))
        let m = try Binary.run(["train", "--margin", "0"] + Self.small)
        #expect(m.status == 2 && m.stderr.contains("training.margin"))
    }

    @Test func generateWritesEvents() throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ck = dir.appendingPathComponent("ck").path
        let trained = try Binary.run(["train", "--epochs", "1", "--checkpoint-dir", ck] + Self.small)
        #expect(trained.status == 0)
        let conditions = dir.appendingPathComponent("c.npz").path, out = dir.appendingPathComponent("g.npz").path
        #expect(try Binary.run(["simulate", "--events", "50", "--output", conditions]).status == 0)
        let g = try Binary.run(["generate", "--checkpoint", ck, "--conditions", conditions, "--output", out])
        #expect(g.status == 0, "stderr: \(g.stderr)")
        let inspect = try Binary.run(["inspect", out])
        #expect(inspect.status == 0 && inspect.stdout.contains("50"))
        let missing = try Binary.run(["generate", "--checkpoint", dir.path, "--conditions", conditions, "--output", out])
        #expect(missing.status == 2 && missing.stderr.contains("no checkpoint"))
    }
}
