import Foundation
import GRDB
import Sweep
import Testing

/// The SLURM executor's pieces that need no cluster: squeue parsing, the sbatch submission,
/// spool ingestion, the spool worker, and the schema migration that records job ids.
@Suite struct SqueueListingTests {
    @Test func parsesArrayTasksAndClassifiesStates() throws {
        let text = """
            41_0|COMPLETED
            41_3|RUNNING
            41_5|PENDING
            41_7|FAILED
            42_1|TIMEOUT
            42_2|CANCELLED
            42_4|NODE_FAIL
            42_6|OUT_OF_MEMORY
            42_8|PREEMPTED
            42_9|COMPLETING

            """
        let q = try SqueueListing.parse(text)
        #expect(q.count == 10)
        #expect(q["41_0"] == .completed)
        #expect(q["41_3"] == .live("RUNNING") && q["41_5"]?.isLive == true && q["42_9"]?.isLive == true)
        for (id, state) in [("41_7", "FAILED"), ("42_1", "TIMEOUT"), ("42_2", "CANCELLED"), ("42_4", "NODE_FAIL"),
                            ("42_6", "OUT_OF_MEMORY"), ("42_8", "PREEMPTED")] {
            #expect(q[id] == .ended(state))
        }
        #expect(try SqueueListing.parse("").isEmpty)
        #expect(throws: SlurmError.self) { try SqueueListing.parse("41_0 RUNNING") }
        #expect(SqueueListing.arguments(jobName: "lipsweep-t").contains("--states=all"))
    }
}

@Suite struct BatchSubmissionTests {
    func submission(_ numbers: [Int], _ options: SlurmOptions = SlurmOptions(), worker: String? = nil) -> BatchSubmission {
        BatchSubmission(jobName: "lipsweep-smoke", trialNumbers: numbers, options: options, threads: 2,
                        spool: URL(fileURLWithPath: "/shared/it's/spool"), program: "/opt/lipsweep/bin/lipsweep",
                        customWorker: worker, scriptPath: URL(fileURLWithPath: "/shared/spool/jobs/a.sh"))
    }

    @Test func arraySpecCompressesRunsAndAppendsTheThrottle() {
        #expect(submission([7, 0, 1, 2, 3, 9, 10]).arraySpec == "0-3,7,9-10")
        var throttled = SlurmOptions(); throttled.arrayThrottle = 2
        #expect(submission([5], throttled).arraySpec == "5%2")
    }

    @Test func argumentsCarryEveryOptionAndTheScriptRunsTheWorker() {
        var o = SlurmOptions()
        o.partition = "gpu"; o.time = "1:00:00"; o.account = "calo"; o.mem = "4G"; o.extraFlags = ["--qos=long", "--exclusive"]
        let s = submission([0, 1], o, worker: "/x/fake worker.py")
        #expect(s.arguments == ["--parsable", "--job-name=lipsweep-smoke", "--array=0-1", "--output=/shared/it's/spool/slurm/%A_%a.out",
                                "--cpus-per-task=2", "--partition=gpu", "--time=1:00:00", "--account=calo", "--mem=4G",
                                "--qos=long", "--exclusive", "/shared/spool/jobs/a.sh"])
        o.cpusPerTask = 8
        #expect(submission([0], o).arguments.contains("--cpus-per-task=8"))
        #expect(s.script.hasPrefix("#!/bin/bash\n"))
        #expect(s.script.contains("export OPENBLAS_NUM_THREADS=2\n"))
        #expect(s.script.contains("export LIPSWEEP_WORKER='/x/fake worker.py'\n"))
        #expect(s.script.hasSuffix("exec '/opt/lipsweep/bin/lipsweep' worker --spool '/shared/it'\\''s/spool' --task \"$SLURM_ARRAY_TASK_ID\"\n"))
        #expect(!submission([0]).script.contains("LIPSWEEP_WORKER"))
    }

    @Test func jobIDFromParsableOutput() throws {
        #expect(try BatchSubmission.jobID(fromParsable: "1234\n") == "1234")
        #expect(try BatchSubmission.jobID(fromParsable: "1234;cluster2\n") == "1234")
        #expect(throws: SlurmError.self) { try BatchSubmission.jobID(fromParsable: "Submitted batch job 12\n") }
    }

    @Test func refusalsCausedBySettingsAreUserMistakes() {
        #expect(SlurmError.isSettingsMistake("Batch job submission failed: Invalid partition name specified"))
        #expect(SlurmError.isSettingsMistake("Batch job submission failed: Invalid account or account/partition combination specified"))
        #expect(!SlurmError.isSettingsMistake("Batch job submission failed: Unable to contact slurm controller (connect failure)"))
    }
}

/// A store with one sweep of two trials, the first claimed (running) as a SLURM task.
private func runningTrial() throws -> (SQLiteTrialStore, TrialRecord, URL) {
    let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("spool-\(UUID().uuidString)")
    let store = try SQLiteTrialStore(path: dir.appendingPathComponent("lipsweep.db").path)
    let sweep = try store.createSweep(name: "s", specText: "x", specHash: "h", codeVersion: "test")
    let planned = try SweepSpec.parse(text: "grid: {regularizer: [sn], lr: [1e-3, 3e-3]}\ntraining: {epochs: 3}\nqg: {epochs: 3}",
                                      file: "t.yaml", baseDirectory: URL(fileURLWithPath: "/")).trials
    _ = try store.addTrials(sweepID: sweep.id, planned)
    let trial = try store.trials(sweepID: sweep.id)[0]
    try store.claim(trialID: trial.id, workerPID: nil)
    return (store, trial, dir)
}

private func epochLine(_ epoch: Int, replayed: Bool = false) -> String {
    #"{"type":"epoch","epoch":\#(epoch),"d_loss":0.1,"g_loss":0.2,"reg_loss":0,"raw_prd":0.5,"phys_prd":0.0\#(epoch),"lipschitz_bound":1.1,"lipschitz_empirical":0.5,"k":[1,1.1],"k_product":1.1,"train_seconds":1,"eval_seconds":0.5,"replayed":\#(replayed)}"#
}

private func append(_ text: String, to file: URL) throws {
    if !FileManager.default.fileExists(atPath: file.path) { _ = FileManager.default.createFile(atPath: file.path, contents: nil) }
    let h = try FileHandle(forWritingTo: file)
    h.seekToEndOfFile(); h.write(Data(text.utf8)); try h.close()
}

private func epochs(_ lines: [WorkerLine]) -> [EpochRecord] {
    lines.compactMap { if case let .epoch(record, _) = $0 { record } else { nil } }
}

@Suite struct SpoolReadingTests {
    @Test func completeLinesOnlyAndRereadingChangesNothing() throws {
        let (store, trial, dir) = try runningTrial()
        let file = dir.appendingPathComponent("lines.jsonl")
        let third = epochLine(3)
        // Two whole lines and the first half of a third (a worker mid-write, or killed).
        try append(epochLine(1) + "\n" + epochLine(2) + "\n" + third.prefix(40), to: file)
        let reader = SpoolReader()
        let first = reader.read(trialID: trial.id, file: file)
        #expect(epochs(first).map(\.epoch) == [1, 2])
        for e in epochs(first) { try store.recordEpoch(trialID: trial.id, e) }
        #expect(reader.read(trialID: trial.id, file: file).isEmpty)
        let before = try store.epochs(trialID: trial.id)

        // A fresh process (a later `lipsweep sync`) reads the file from the start; stored
        // again (an upsert), the rows stay as they were.
        let again = SpoolReader().read(trialID: trial.id, file: file)
        #expect(epochs(again).count == 2)
        for e in epochs(again) { try store.recordEpoch(trialID: trial.id, e) }
        #expect(try store.epochs(trialID: trial.id) == before)

        // The rest of line 3, a replayed line 1 (a resumed attempt), an end line.
        try append(String(third.dropFirst(40)) + "\n" + epochLine(1, replayed: true) + "\nnot json\n"
                   + #"{"type":"end","state":"completed","epochs":3}"# + "\n", to: file)
        let rest = reader.read(trialID: trial.id, file: file)
        #expect(epochs(rest).map(\.epoch) == [3, 1])
        #expect(rest.contains(.unrecognised("not json")))
        #expect(rest.contains { if case let .end(end) = $0 { end.state == .completed && end.epochs == 3 } else { false } })
        for e in epochs(rest) { try store.recordEpoch(trialID: trial.id, e) }
        let all = try store.epochs(trialID: trial.id)
        #expect(all.map(\.epoch) == [1, 2, 3])
        #expect(Array(all.prefix(2)) == before)
        #expect(all[2].physPRD == 0.03 && all[2].k == [1, 1.1])
    }

    @Test func aMissingFileIsNothingYet() throws {
        let (_, trial, dir) = try runningTrial()
        #expect(SpoolReader().read(trialID: trial.id, file: dir.appendingPathComponent("none")).isEmpty)
    }
}

@Suite struct SpoolWorkerTests {
    static let fakeWorker: String = {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { dir.deleteLastPathComponent() }
        return dir.appendingPathComponent("Tests/scripts/fake-worker.py").path
    }()

    @Test func runsTheTrialOfItsTaskAppendingLinesAndResumingAfterACutLine() throws {
        let (_, trial, dir) = try runningTrial()
        let spool = Spool(dir.appendingPathComponent("spool"))
        let trialDir = spool.trialDirectory(trial)
        try FileManager.default.createDirectory(at: trialDir, withIntermediateDirectories: true)
        try trial.config.workerFileText.write(to: trialDir.appendingPathComponent("trial.json"), atomically: true, encoding: .utf8)
        try spool.write(Spool.Manifest(sweep: "s", threads: 1, trials: [String(trial.number): trialDir.lastPathComponent]))
        var env = ProcessInfo.processInfo.environment
        env["LIPSWEEP_WORKER"] = Self.fakeWorker
        env["FAKE_EPOCH_SECONDS"] = "0"
        env["SLURM_ARRAY_JOB_ID"] = "77"; env["SLURM_ARRAY_TASK_ID"] = String(trial.number)

        #expect(try SpoolWorker.run(spool: spool, task: trial.number, environment: env) == 0)
        let lines = Spool.linesFile(trialDir)
        let first = try String(contentsOf: lines, encoding: .utf8).split(separator: "\n")
        // Three epochs, the histograms line, the end line.
        #expect(first.count == 5 && first[3].contains(#""type": "histograms""#) && first[4].contains(#""type": "end""#))
        let exit = try JSONDecoder().decode(Spool.ExitRecord.self, from: Data(contentsOf: Spool.exitFile(trialDir)))
        #expect(exit == Spool.ExitRecord(job: "77_\(trial.number)", status: 0, signal: false))

        // An earlier attempt's cut line is dropped; the next attempt resumes (replays) and appends.
        try append(#"{"type":"epoch","ep"#, to: lines)
        #expect(try SpoolWorker.run(spool: spool, task: trial.number, environment: env) == 0)
        let second = try String(contentsOf: lines, encoding: .utf8)
        #expect(second.hasSuffix("\n") && !second.contains(#""ep{"#))
        #expect(second.split(separator: "\n").count == 10)
        #expect(second.components(separatedBy: #""replayed": true"#).count - 1 == 3)

        #expect(throws: (any Error).self) { try SpoolWorker.run(spool: spool, task: 99, environment: env) }
    }
}

@Suite struct SchemaMigrationTests {
    /// A version-1 database (before SLURM) opens with its data and gains the job columns (and
    /// everything later versions add).
    @Test func version1MigratesToTheCurrentVersion() throws {
        let (store, trial, dir) = try runningTrial()
        let path = dir.appendingPathComponent("lipsweep.db").path
        _ = store
        // Turn it back into what version 1 wrote.
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: """
                DROP TABLE rung_decisions;
                DROP TABLE histograms;
                ALTER TABLE sweeps DROP COLUMN search_json;
                ALTER TABLE sweeps DROP COLUMN pruning_json;
                ALTER TABLE trials DROP COLUMN job_id;
                ALTER TABLE sweeps DROP COLUMN executor_json;
                ALTER TABLE trials DROP COLUMN arch;
                ALTER TABLE epochs DROP COLUMN fpd;
                ALTER TABLE epochs DROP COLUMN fpd_err;
                ALTER TABLE epochs DROP COLUMN kpd;
                ALTER TABLE epochs DROP COLUMN kpd_err;
                ALTER TABLE epochs DROP COLUMN kid;
                ALTER TABLE epochs DROP COLUMN w1_asym_along;
                ALTER TABLE epochs DROP COLUMN w1_asym_across;
                ALTER TABLE epochs DROP COLUMN w1_width_along;
                ALTER TABLE epochs DROP COLUMN w1_width_across;
                ALTER TABLE epochs DROP COLUMN w1_sparsity;
                DELETE FROM grdb_migrations WHERE identifier IN ('v2', 'v3', 'v4', 'v5', 'v6');
                UPDATE schema_version SET version = 1;
                """)
        }
        try queue.close()
        let migrated = try SQLiteTrialStore(path: path)
        #expect(try migrated.read { db in try Int.fetchOne(db, sql: "SELECT version FROM schema_version") } == 6)
        #expect(try migrated.read { db in try db.tableExists("histograms") })
        #expect(try migrated.read { db in try db.columns(in: "epochs").map(\.name).suffix(2) } == ["w1_width_across", "w1_sparsity"])
        let again = try #require(try migrated.trial(id: trial.id))
        #expect(again.state == .running && again.configHash == trial.configHash && again.jobID == nil)
        try migrated.assignWorker(trialID: trial.id, pid: nil, jobID: "5_0")
        #expect(try migrated.trial(id: trial.id)?.jobID == "5_0")
    }
}

@Suite struct SlurmSpecTests {
    @Test func executorSlurmReadsEveryOption() throws {
        let spec = try SweepSpec.parse(text: """
            grid: {regularizer: [sn], lr: [1e-3]}
            executor:
              kind: slurm
              threads: 4
              slurm: {partition: gpu, time: "2:00:00", account: calo, cpus_per_task: 8, mem: 8G, array_throttle: 20,
                      extra_flags: ["--qos=long"], spool: /shared/spool, poll_seconds: 2.5}
            """, file: "t.yaml", baseDirectory: URL(fileURLWithPath: "/"))
        var expected = SlurmOptions()
        expected.partition = "gpu"; expected.time = "2:00:00"; expected.account = "calo"; expected.cpusPerTask = 8
        expected.mem = "8G"; expected.arrayThrottle = 20; expected.extraFlags = ["--qos=long"]; expected.spool = "/shared/spool"
        expected.pollSeconds = 2.5
        #expect(spec.executor.kind == .slurm && spec.executor.threads == 4)
        #expect(spec.executor.slurm == expected)
        // Stored with the sweep as JSON and read back by `sync`.
        let json = try JSONEncoder().encode(spec.executor)
        #expect(try JSONDecoder().decode(ExecutorConfig.self, from: json) == spec.executor)
    }

    @Test func badSlurmValuesAreSpecErrors() {
        for bad in ["slurm: {poll_seconds: 0}", "slurm: {array_throttle: 0}", "slurm: {partiton: gpu}", "kind: cloud"] {
            #expect(throws: SpecError.self) {
                try SweepSpec.parse(text: "grid: {regularizer: [sn], lr: [1e-3]}\nexecutor: {\(bad)}",
                                    file: "t.yaml", baseDirectory: URL(fileURLWithPath: "/"))
            }
        }
    }
}
