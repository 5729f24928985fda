import Foundation
import GRDB
import Sweep
import Testing

/// The real Optuna and optuna-dashboard, through python3 (`make deps` installs the pinned
/// versions as root; without them these tests are skipped with that reason).
enum PythonOptuna {
    static let installed: Bool = {
        let probe = try? Child.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import optuna, optuna_dashboard"], timeout: 120)
        return probe?.status == 0
    }()
    static let missing: Comment = "needs python3 with optuna and optuna-dashboard: `make deps` as root installs optuna==5.0.0 and optuna-dashboard==0.21.0"

    struct Study: Decodable {
        var name: String
        var directions: [String]
        var metric_names: [String]?
        var user_attrs: [String: JSONValue]
        var trials: [Trial]
    }

    struct Trial: Decodable {
        var number: Int
        var state: String
        var value: Double?
        var params: [String: JSONValue]
        var distributions: [String: JSONValue]
        var intermediate_values: [String: Double]
        var user_attrs: [String: JSONValue]
        var system_attrs: [String: JSONValue]

        var key: Int? { user_attrs["lipsweep_trial"]?.int }
        /// Intermediate values by step.
        var curve: [Int: Double] { Dictionary(uniqueKeysWithValues: intermediate_values.map { (Int($0.key)!, $0.value) }) }
    }

    /// The studies Optuna reads from `journal` (Tests/scripts/optuna-load.py).
    static func load(_ journal: URL) throws -> [Study] {
        struct Output: Decodable { var studies: [Study] }
        let r = try Child.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", Repo.path("Tests/scripts/optuna-load.py"), journal.path], timeout: 120)
        try #require(r.status == 0, "optuna-load.py: \(r.stderr)")
        return try JSONDecoder().decode(Output.self, from: Data(r.stdout.utf8)).studies
    }
}

/// The live journal (`OptunaSweepJournal`) against real Optuna: events as the scheduler
/// reports them, a crash that leaves the store ahead of the journal and a torn last line,
/// a reopen, a failed trial taken up again; Optuna must then see what the export shows.
@Suite(.enabled(if: PythonOptuna.installed, PythonOptuna.missing)) struct OptunaLiveJournalTests {
    @Test func continuedAfterACrashItLoadsLikeTheExport() throws {
        let dir = Repo.scratch("optuna-live")
        let store = try SQLiteTrialStore(path: dir.appendingPathComponent("lipsweep.db").path)
        let spec = try SweepSpec.parse(text: "name: live\n" + Sweeps.tinyHeader + "\ngrid: {regularizer: [sn, hinge], margin: [2], lr: [1e-3, 3e-3]}\n",
                                       file: "live.yaml", baseDirectory: dir)
        let sweep = try store.createSweep(name: "live", specText: spec.text, specHash: spec.specHash, codeVersion: "test")
        _ = try store.addTrials(sweepID: sweep.id, spec.trials)
        let t = try store.trials(sweepID: sweep.id).sorted { $0.number < $1.number }
        let url = dir.appendingPathComponent("live-optuna.log")
        func epoch(_ e: Int, _ trial: Int) -> EpochRecord {
            EpochRecord(epoch: e, rawPRD: 0.5, physPRD: 0.01 * Double(e * (trial + 1)), lipschitzBound: 1.5)
        }
        func finish(_ i: Int, _ state: TrialState, error: String? = nil) throws {
            let qg = TrialQualityGain.compute(epochs: try store.epochs(trialID: t[i].id), window: 3, metric: .physPRD, lr: t[i].lr, margin: t[i].margin)
            try store.finish(trialID: t[i].id, TrialOutcome(state: state, error: error, qg: state == .completed ? qg : nil))
        }

        var journal: OptunaSweepJournal? = try OptunaSweepJournal(url: url, sweep: sweep, objective: .qg, store: store)
        try store.claim(trialID: t[0].id, workerPID: nil); try journal!.trialChanged(t[0].id)
        for e in 1...2 { try store.recordEpoch(trialID: t[0].id, epoch(e, 0)); try journal!.epochRecorded(t[0].id, epoch(e, 0)) }
        try store.claim(trialID: t[2].id, workerPID: nil); try journal!.trialChanged(t[2].id)
        try store.recordEpoch(trialID: t[2].id, epoch(1, 2)); try journal!.epochRecorded(t[2].id, epoch(1, 2))
        try finish(2, .failed, error: "killed by signal 9"); try journal!.trialChanged(t[2].id)
        // The scheduler dies: what it stored last never reached the journal, whose last line is torn.
        try store.recordEpoch(trialID: t[0].id, epoch(3, 0))
        try finish(0, .completed)
        try store.claim(trialID: t[1].id, workerPID: nil)
        journal = nil
        let handle = try FileHandle(forWritingTo: url)
        handle.seekToEndOfFile(); handle.write(Data(#"{"op_code":7,"step":3,"trial_"#.utf8)); try handle.close()

        // The next run: running trials go back to pending, failed ones are queued again.
        try store.release(trialID: t[1].id, error: nil, countsAsAttempt: false)
        try store.requeue(trialID: t[2].id)
        journal = try OptunaSweepJournal(url: url, sweep: sweep, objective: .qg, store: store)
        #expect(journal!.writer.repairedTornBytes == 29)
        for i in [1, 2, 3] {
            try store.claim(trialID: t[i].id, workerPID: nil); try journal!.trialChanged(t[i].id)
            for e in 1...3 { try store.recordEpoch(trialID: t[i].id, epoch(e, i)); try journal!.epochRecorded(t[i].id, epoch(e, i)) }
            try finish(i, i == 3 ? .diverged : .completed, error: i == 3 ? "non-finite D loss" : nil); try journal!.trialChanged(t[i].id)
        }

        let export = dir.appendingPathComponent("export-optuna.log")
        try OptunaSweepJournal.export(to: export, sweep: sweep, objective: .qg, store: store)
        let live = try #require(try PythonOptuna.load(url).first)
        let whole = try #require(try PythonOptuna.load(export).first)
        #expect(whole.trials.map(\.key) == [0, 1, 2, 3] && whole.trials.map(\.number) == [0, 1, 2, 3])
        #expect(whole.trials.map(\.state) == ["COMPLETE", "COMPLETE", "COMPLETE", "FAIL"])
        // Live: one Optuna trial per lipsweep trial, plus the retry of #2 (a new Optuna trial, as
        // Optuna's RetryFailedTrialCallback makes one); nothing else twice.
        #expect(live.trials.map(\.key) == [0, 1, 2, 3, 2])
        #expect(live.trials[2].state == "FAIL" && live.trials[2].user_attrs["state_reason"] == "killed by signal 9")
        #expect(live.trials[4].system_attrs["failed_trial"] == 2 && live.trials[4].system_attrs["retry_history"] == [2])
        for w in whole.trials {
            let l = try #require(live.trials.last { $0.key == w.key })
            #expect(l.state == w.state, "trial \(w.key!)")
            #expect(l.value == w.value, "trial \(w.key!)")
            #expect(l.params == w.params && l.distributions == w.distributions, "trial \(w.key!)")
            #expect(l.curve == w.curve, "trial \(w.key!)")
            #expect(l.user_attrs == w.user_attrs, "trial \(w.key!)")
        }
        #expect(whole.trials[0].curve == [1: 0.01, 2: 0.02, 3: 0.03])
        #expect(whole.trials[0].value == (try store.trial(id: t[0].id))?.qg)
    }
}

/// `lipsweep export optuna` after a smoke sweep with diverged trials: what Optuna and
/// optuna-dashboard read equals the database.
@Suite(.serialized, .enabled(if: PythonOptuna.installed, PythonOptuna.missing)) struct OptunaExportTests {
    static let results: URL = {
        let (_, results, spec) = try! Sweeps.smokeSetup("optuna-export")
        // lr = 3e-3 trials diverge after epoch 2 (Tests/scripts/fake-worker.py).
        let r = try! Sweeps.lipsweep(["run", spec, "--results", results.path], env: ["FAKE_DIVERGE_LR": "0.003"])
        precondition(r.status == 0, r.stderr)
        return results
    }()

    @Test func optunaLoadsTheDatabase() throws {
        let r = try Sweeps.lipsweep(["export", "optuna", "--results", Self.results.path])
        #expect(r.status == 0, "\(r.stderr)")
        let path = Self.results.appendingPathComponent("exports/t-optuna.log")
        #expect(r.stdout == path.path + "\n")
        let study = try #require(try PythonOptuna.load(path).first)
        #expect(study.name == "t" && study.directions == ["maximize"] && study.metric_names == ["qg"])

        let rows = try Sweeps.database(Self.results).read { db in
            try Row.fetchAll(db, sql: "SELECT id, number, regularizer, lr, state, qg, attempts FROM trials ORDER BY number")
        }
        #expect(study.trials.count == rows.count)
        #expect(Set(rows.map { $0["state"] as String }) == ["completed", "diverged"])
        for (trial, row) in zip(study.trials, rows) {
            let number: Int = row["number"]
            #expect(trial.number == number && trial.key == number)
            // The axes the smoke grid varies; its one margin, α, loss and seed are left out.
            #expect(trial.params == ["regularizer": .string(row["regularizer"]), "lr": .number(row["lr"])], "trial \(number)")
            let state: String = row["state"]
            #expect(trial.state == (state == "completed" ? "COMPLETE" : "FAIL"), "trial \(number)")
            #expect(trial.value == row["qg"], "trial \(number): the value is QG")
            #expect(trial.user_attrs["lipsweep_state"] == .string(state) && trial.user_attrs["attempts"] == .int(row["attempts"]))
            let curve = try Sweeps.database(Self.results).read { db in
                try Row.fetchAll(db, sql: "SELECT epoch, phys_prd FROM epochs WHERE trial_id = ? ORDER BY epoch", arguments: [row["id"] as Int64])
            }
            #expect(trial.curve == Dictionary(uniqueKeysWithValues: curve.map { ($0["epoch"] as Int, $0["phys_prd"] as Double) }), "trial \(number)")
            #expect(trial.curve.count == (state == "completed" ? 3 : 2))
        }
        let lr = try #require(study.trials.first?.distributions["lr"])
        #expect(lr == .object(["name": "FloatDistribution", "attributes": .object(["low": 1e-3, "high": 3e-3, "log": true, "step": .null])]))
    }

    @Test func bestPRDToStandardOutput() throws {
        let r = try Sweeps.lipsweep(["export", "optuna", "--results", Self.results.path, "--objective", "best_prd", "--output", "-"])
        #expect(r.status == 0, "\(r.stderr)")
        let file = Repo.scratch("optuna-stdout").appendingPathComponent("j.log")
        try r.stdout.write(to: file, atomically: true, encoding: .utf8)
        let study = try #require(try PythonOptuna.load(file).first)
        #expect(study.metric_names == ["best_prd"] && study.directions == ["maximize"])
        let best = try Sweeps.database(Self.results).read { db in
            try Row.fetchAll(db, sql: "SELECT t.number, max(min(e.raw_prd, e.phys_prd)) AS best FROM trials t JOIN epochs e ON e.trial_id = t.id GROUP BY t.id ORDER BY t.number")
        }
        // Only completed trials carry a value; best_prd is their best min(RAW, Physical) PRD.
        for (trial, row) in zip(study.trials, best) where trial.state == "COMPLETE" {
            #expect(trial.value == row["best"])
        }
        #expect(study.trials.filter { $0.state == "COMPLETE" }.count == 2)
    }

    @Test func optunaDashboardServesTheStudy() throws {
        let journal = Repo.scratch("optuna-dashboard").appendingPathComponent("t-optuna.log")
        #expect(try Sweeps.lipsweep(["export", "optuna", "--results", Self.results.path, "--output", journal.path]).status == 0)
        let r = try Child.run(URL(fileURLWithPath: "/usr/bin/env"),
                              ["python3", Repo.path("Tests/scripts/optuna-dashboard-api.py"), journal.path, "t", "90"], timeout: 150)
        #expect(r.status == 0, "\(r.stderr)")
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let detail = try #require(answer["detail"] as? [String: Any], "the dashboard lists no study t: \(r.stdout)")
        #expect(detail["name"] as? String == "t")
        #expect(detail["directions"] as? [String] == ["maximize"])
        #expect(detail["objective_names"] as? [String] == ["qg"])
        #expect(detail["has_intermediate_values"] as? Bool == true)
        let trials = try #require(detail["trials"] as? [[String: Any]])
        #expect(trials.map { $0["number"] as? Int } == [0, 1, 2, 3])
        #expect(trials.map { $0["state"] as? String }.sorted { ($0 ?? "") < ($1 ?? "") } == ["Complete", "Complete", "Fail", "Fail"])
        #expect(trials.allSatisfy { (($0["intermediate_values"] as? [Any])?.count ?? 0) >= 2 })
    }

    @Test func objectiveAndFormatMistakesAreOneLine() throws {
        for (args, message) in [(["--objective", "fid"], "--objective fid: not an objective; use one of qg, best_prd, fpd, kpd, kid, w1_mean"),
                                (["--format", "json"], "--format: an Optuna journal has one format")] {
            let r = try Sweeps.lipsweep(["export", "optuna", "--results", Self.results.path] + args)
            #expect(r.status == 2)
            #expect(r.stderr.contains(message), "\(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1)
        }
        // A physics distance is minimised (Optuna's StudyDirection.MINIMIZE = 1), its curve the
        // distance per epoch (the scripted worker sends them).
        let fpd = try Sweeps.lipsweep(["export", "optuna", "--results", Self.results.path, "--objective", "fpd", "--output", "-"])
        #expect(fpd.status == 0, "\(fpd.stderr)")
        #expect(fpd.stdout.hasPrefix("{\"directions\":[1],\"op_code\":0,"), "\(fpd.stdout.prefix(200))")
        #expect(fpd.stdout.contains("\"study:metric_names\":[\"fpd\"]"))
        let r = try Sweeps.lipsweep(["export", "qg", "--results", Self.results.path, "--objective", "qg"])
        #expect(r.status == 2 && r.stderr.contains("--objective applies to `export optuna` only"))
    }
}

/// `lipsweep run` keeping the journal live (`output.optuna_journal` / `--optuna-journal`):
/// Optuna reads it while the sweep runs; after a `kill -9` of the scheduler and a rerun it
/// holds one Optuna trial per lipsweep trial, equal to the export of the database.
@Suite(.serialized, .enabled(if: PythonOptuna.installed, PythonOptuna.missing)) struct OptunaRunJournalTests {
    @Test func theJournalOfAKilledAndRerunSweepLoadsLikeItsExport() throws {
        let dir = Repo.scratch("optuna-run")
        let spec = try Sweeps.writeSpec(Sweeps.smokeSpec + "\noutput: {optuna_journal: live-optuna.log}\n", in: dir)
        let results = dir.appendingPathComponent("results")
        let journal = dir.appendingPathComponent("live-optuna.log")
        let env = ["FAKE_EPOCH_SECONDS": "0.4", "FAKE_DIVERGE_LR": "0.003"]
        let scheduler = try Sweeps.start(["run", spec, "--results", results.path], env: env)
        try waitFor { (try? Sweeps.count(results, "SELECT count(*) FROM epochs")) ?? 0 >= 3 }
        // Live: a reader sees every trial, and the running ones as RUNNING, while the sweep runs.
        let during = try #require(try PythonOptuna.load(journal).first)
        #expect(during.trials.count == 4)
        #expect(during.trials.contains { $0.state == "RUNNING" }, "\(during.trials.map(\.state))")
        #expect(during.trials.contains { !$0.intermediate_values.isEmpty })
        kill(scheduler.processIdentifier, SIGKILL)
        try Child.waitForExit(scheduler, what: "the scheduler")
        let rerun = try Sweeps.lipsweep(["run", spec, "--results", results.path, "--optuna-journal", journal.path], env: env)
        #expect(rerun.status == 0, "\(rerun.stderr)")

        let export = dir.appendingPathComponent("export-optuna.log")
        #expect(try Sweeps.lipsweep(["export", "optuna", "--results", results.path, "--output", export.path]).status == 0)
        let live = try #require(try PythonOptuna.load(journal).first)
        let whole = try #require(try PythonOptuna.load(export).first)
        #expect(live.trials.count == 4 && whole.trials.count == 4, "one Optuna trial per lipsweep trial, none twice")
        #expect(Set(whole.trials.map(\.state)) == ["COMPLETE", "FAIL"])
        for w in whole.trials {
            let l = try #require(live.trials.first { $0.key == w.key })
            #expect(l.state == w.state && l.value == w.value && l.params == w.params, "trial \(w.key!)")
            #expect(l.curve == w.curve && l.user_attrs == w.user_attrs, "trial \(w.key!)")
        }
    }
}
