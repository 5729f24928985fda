import Foundation
import Sweep
import Testing

/// `executor.worker` and `executor.slurm.gpus_per_task` (README "Your own trainer"): how the
/// spec's command is resolved and what the scheduler runs, locally and on SLURM.
@Suite struct WorkerCommandTests {
    static func spec(_ executor: String, in dir: URL) throws -> SweepSpec {
        try SweepSpec.parse(text: """
            name: w
            training: {epochs: 3}
            qg: {epochs: 3}
            executor: \(executor)
            """, file: dir.appendingPathComponent("spec.yaml").path, baseDirectory: dir)
    }

    @Test func relativePathsResolveAgainstTheSpecsDirectoryAndTheProgramAgainstPATH() throws {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("lipsweep-worker-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("bin"), withIntermediateDirectories: true)
        try "print(1)\n".write(to: dir.appendingPathComponent("train.py"), atomically: true, encoding: .utf8)
        let tool = dir.appendingPathComponent("bin/trainer")
        try "#!/bin/sh\n".write(to: tool, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: tool.path)

        let python = try Self.spec("{worker: [sh, train.py, --flag, value, -u]}", in: dir).executor.worker
        let sh = try #require(python?.first)
        #expect(sh.hasPrefix("/") && sh.hasSuffix("/sh"))
        #expect(Array(python!.dropFirst()) == [dir.appendingPathComponent("train.py").path, "--flag", "value", "-u"])
        #expect(try Self.spec("{worker: [bin/trainer]}", in: dir).executor.worker == [tool.path])

        let command = UserWorkerCommand(argv: [sh, "/x/train.py"])
        #expect(command.arguments(config: "c.json", checkpointDir: "D", threads: 2, resume: true)
                == ["/x/train.py", "train", "--config", "c.json", "--checkpoint-dir", "D", "--threads", "2", "--resume"])
        #expect(WorkerKinds.resolve(worker: [sh, "/x/train.py"], environment: ["LIPSWEEP_WORKER": "/bin/true"]).argv == command.argv)
        #expect(WorkerKinds.resolve(worker: nil, environment: ["LIPSWEEP_WORKER": "/bin/true"]).argv == ["/bin/true"])
        #expect(WorkerKinds.resolve(worker: nil, environment: [:]) is EmbeddedTrainer)
    }

    @Test func gpusPerTaskBecomesAGresRequestAndTheManifestCarriesTheWorker() throws {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory())
        let spec = try Self.spec("{kind: slurm, slurm: {gpus_per_task: 2}}", in: dir)
        #expect(spec.executor.slurm.gpusPerTask == 2)
        let submission = BatchSubmission(jobName: "lipsweep-w", trialNumbers: [0, 1], options: spec.executor.slurm, threads: 1,
                                         spool: URL(fileURLWithPath: "/spool"), program: "/bin/lipsweep", customWorker: nil,
                                         scriptPath: URL(fileURLWithPath: "/spool/jobs/a.sh"))
        #expect(submission.arguments.contains("--gres=gpu:2"))
        #expect(!BatchSubmission(jobName: "j", trialNumbers: [0], options: SlurmOptions(), threads: 1, spool: dir, program: "/p",
                                 customWorker: nil, scriptPath: dir).arguments.contains { $0.hasPrefix("--gres") })

        let manifest = Spool.Manifest(sweep: "w", threads: 1, trials: ["0": "0000-abc"], worker: ["/usr/bin/python3", "/x/t.py"])
        #expect(try JSONDecoder().decode(Spool.Manifest.self, from: JSONEncoder().encode(manifest)) == manifest)
        // A manifest written before `worker` existed still reads, as the default trainer.
        let old = try JSONDecoder().decode(Spool.Manifest.self, from: Data(#"{"sweep":"w","threads":1,"trials":{}}"#.utf8))
        #expect(old.worker == nil)
    }

    @Test func executorSettingsStoredBeforeWorkerExistedStillDecode() throws {
        var settings = ExecutorConfig()
        settings.worker = ["/usr/bin/python3", "/x/t.py"]
        let data = try JSONEncoder().encode(settings)
        #expect(try JSONDecoder().decode(ExecutorConfig.self, from: data).worker == settings.worker)
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        object.removeValue(forKey: "worker")
        let old = try JSONDecoder().decode(ExecutorConfig.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(old.worker == nil)
    }
}
