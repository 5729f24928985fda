import Foundation
import GRDB
import Testing

/// Where a sweep writes must be writable, and a full disk is no trial's fault:
/// - an Optuna journal whose directory is missing or takes no files is refused by `plan` and
///   `run` (exit 2, the spec's line or the option, nothing written);
/// - when the results directory's disk fills up, the sweep stops at the first failed write
///   (exit 1, one line naming the path and "free space and run again"), every trial is left
///   pending or completed with no retry charged, and a rerun once space is back completes the
///   sweep with the very epochs of an uninterrupted run — with lipsweep's own trainer and with
///   another program's worker (the scripted one, which knows nothing of lipsweep's exit status).
@Suite(.serialized) struct FullDiskTests {
    // MARK: the journal's path

    @Test func aJournalInAMissingDirectoryIsRefusedAtPlanAndRun() throws {
        let dir = Repo.scratch("journal-missing")
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("no/such/dir/j.log").path
        // Line 7: after `name:` and the four lines of the tiny header, `output:` is line 6.
        let spec = try Sweeps.writeSpec("name: j\n" + Sweeps.tinyHeader + "\noutput:\n  optuna_journal: \(missing)\n", in: dir)
        let results = dir.appendingPathComponent("results")
        for command in [["plan", spec], ["run", spec, "--results", results.path]] {
            let r = try Sweeps.lipsweep(command)
            #expect(r.status == 2, "\(command[0]): \(r.stdout) \(r.stderr)")
            #expect(r.stderr.hasPrefix("lipsweep: \(spec):7: output.optuna_journal: "), "\(command[0]): \(r.stderr)")
            #expect(r.stderr.contains("\(dir.path)/no/such/dir does not exist"), "\(command[0]): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "one line: \(r.stderr)")
        }
        let plain = try Sweeps.writeSpec("name: j\n" + Sweeps.tinyHeader + "\n", in: dir, name: "plain.yaml")
        let option = try Sweeps.lipsweep(["run", plain, "--results", results.path, "--optuna-journal", missing])
        #expect(option.status == 2, "\(option.stdout) \(option.stderr)")
        #expect(option.stderr.hasPrefix("lipsweep: --optuna-journal \(missing): the journal's directory"), "\(option.stderr)")
        #expect(option.stderr.split(separator: "\n").count == 1, "one line: \(option.stderr)")
        #expect(!FileManager.default.fileExists(atPath: results.path), "run wrote \(results.path)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("no").path))
    }

    @Test func aJournalWhereNoFileCanBeCreatedIsRefused() throws {
        let dir = Repo.scratch("journal-unwritable")
        defer { try? FileManager.default.removeItem(at: dir) }
        let results = dir.appendingPathComponent("results")
        let plain = try Sweeps.writeSpec("name: j\n" + Sweeps.tinyHeader + "\n", in: dir)
        // A regular file where the directory should be.
        let file = dir.appendingPathComponent("notes.txt")
        try Data("x".utf8).write(to: file)
        let underFile = try Sweeps.lipsweep(["run", plain, "--results", results.path, "--optuna-journal", file.path + "/j.log"])
        #expect(underFile.status == 2 && underFile.stderr.contains("\(file.path) is not a directory"), "\(underFile.stderr)")
        // A directory that takes no new files: read-only for everyone, root included.
        let readOnly = dir.appendingPathComponent("read-only")
        try FileManager.default.createDirectory(at: readOnly, withIntermediateDirectories: true)
        guard let unmount = try Self.makeReadOnly(readOnly) else {
            try Test.cancel("cannot make a read-only directory here (not root, and mount failed)")
        }
        defer { unmount() }
        let spec = try Sweeps.writeSpec("name: j\n" + Sweeps.tinyHeader + "\noutput: {optuna_journal: \(readOnly.path)/j.log}\n",
                                        in: dir, name: "ro.yaml")
        for command in [["plan", spec], ["run", spec, "--results", results.path]] {
            let r = try Sweeps.lipsweep(command)
            #expect(r.status == 2, "\(command[0]): \(r.stdout) \(r.stderr)")
            #expect(r.stderr.hasPrefix("lipsweep: \(spec):6: "), "\(command[0]): \(r.stderr)")
            #expect(r.stderr.contains("cannot create files in \(readOnly.path)"), "\(command[0]): \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: results.path), "run wrote \(results.path)")
    }

    /// A directory no process can create files in: a read-only tmpfs mounted over it when root
    /// (root writes through permission bits), else mode 0555. Returns how to undo it, or nil.
    static func makeReadOnly(_ directory: URL) throws -> (() -> Void)? {
        if getuid() != 0 {
            try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: directory.path)
            return { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path) }
        }
        let mount = try Child.run(URL(fileURLWithPath: "/bin/mount"), ["-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", directory.path])
        guard mount.status == 0 else { return nil }
        return { _ = try? Child.run(URL(fileURLWithPath: "/bin/umount"), ["-l", directory.path]) }
    }

    // MARK: a full disk

    enum Worker: String, CaseIterable, CustomStringConvertible, Sendable {
        /// `lipsweep train`: exits with OutOfSpace.exitStatus, naming the file.
        case lipsweep
        /// tests/scripts/fake-worker.py: a Python OSError and exit code 1, like any program.
        case scripted
        var description: String { rawValue }

        var spec: String {
            switch self {
            case .lipsweep:
                "name: full\ndataset: {train: 256, test: 200}\ntraining: {epochs: 10}\nevaluation: {clusters: 10, prd_runs: 1}\n"
                    + "qg: {epochs: 10}\ngrid:\n  regularizer: [sn]\n  lr: [1e-3, 2e-3]\nseeds: [1, 2]\n"
                    + "executor: {workers: 2, retries: 3, backoff_seconds: 0.1}\n"
            case .scripted:
                "name: full\n" + Sweeps.tinyHeader.replacingOccurrences(of: "epochs: 3", with: "epochs: 40") + "\n"
                    + "grid:\n  regularizer: [sn]\n  lr: [1e-3, 2e-3]\nseeds: [1, 2]\nexecutor: {workers: 2, retries: 3, backoff_seconds: 0.1}\n"
            }
        }

        var environment: [String: String] { self == .scripted ? Sweeps.env(["FAKE_EPOCH_SECONDS": "0.1"]) : [:] }
        var unsetting: [String] { self == .scripted ? [] : ["LIPSWEEP_WORKER"] }
    }

    @Test(arguments: Worker.allCases) func aFullDiskStopsTheSweepAtOnceAndARerunCompletesIt(_ worker: Worker) throws {
        let dir = Repo.scratch("full-disk")
        defer { try? FileManager.default.removeItem(at: dir) }
        let spec = try Sweeps.writeSpec(worker.spec, in: dir)
        let reference = dir.appendingPathComponent("reference")
        let straight = try Binary.run(["run", spec, "--results", reference.path], environment: worker.environment, unsetting: worker.unsetting)
        #expect(straight.status == 0, "\(straight.stderr)")

        // The results directory on a disk of its own, filled up once the sweep is under way.
        let results = dir.appendingPathComponent("results")
        try FileManager.default.createDirectory(at: results, withIntermediateDirectories: true)
        guard getuid() == 0,
              try Child.run(URL(fileURLWithPath: "/bin/mount"), ["-t", "tmpfs", "-o", "size=64m", "tmpfs", results.path]).status == 0 else {
            try Test.cancel("cannot mount a small tmpfs here (needs root): no disk to fill")
        }
        defer { _ = try? Child.run(URL(fileURLWithPath: "/bin/umount"), ["-l", results.path]) }
        let stderr = dir.appendingPathComponent("run.stderr")
        let run = Process()
        run.executableURL = Binary.lipsweep
        run.arguments = ["run", spec, "--results", results.path]
        run.environment = ProcessInfo.processInfo.environment.merging(worker.environment) { $1 }.filter { !worker.unsetting.contains($0.key) }
        run.standardOutput = FileHandle.nullDevice
        run.standardError = try FileHandle(forWritingTo: { FileManager.default.createFile(atPath: stderr.path, contents: nil); return stderr }())
        try run.run()
        let deadline = Date().addingTimeInterval(120)
        // (GRDB would create a database that is not there yet: wait for the sweep's own first.)
        let database = results.appendingPathComponent("lipsweep.db").path
        while run.isRunning, Date() < deadline,
              !FileManager.default.fileExists(atPath: database) || ((try? Sweeps.count(results, "SELECT COUNT(*) FROM epochs")) ?? 0) < 2 {
            usleep(20_000)
        }
        #expect(run.isRunning, "the sweep ended before the disk could be filled")
        let filler = results.appendingPathComponent("filler")
        let filled = Self.fill(filler)
        #expect(filled > 0)
        let filledAt = Date()
        try Child.waitForExit(run, timeout: 60, what: "the sweep on a full disk")
        let stopSeconds = Date().timeIntervalSince(filledAt)
        let message = (try? String(contentsOf: stderr, encoding: .utf8)) ?? ""
        #expect(run.terminationStatus == 1, "\(message)")
        let last = message.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.hasPrefix("lipsweep: no space left on device writing \(results.path)/"), "\(message)")
        #expect(last.hasSuffix("; free space and run again"), "\(message)")
        // At once: well before the other trials could have run their epochs or retries.
        #expect(stopSeconds < 20, "stopped \(stopSeconds) s after the disk filled")
        // Nothing failed and nothing was charged: pending (with no error) or completed.
        try FileManager.default.removeItem(at: filler)
        let states = try Sweeps.database(results).read { db in
            try Row.fetchAll(db, sql: "SELECT state, attempts, error FROM trials ORDER BY number")
                .map { "\($0["state"] as String? ?? "?") \($0["attempts"] as Int? ?? -1) \($0["error"] as String? ?? "-")" }
        }
        #expect(states.allSatisfy { $0 == "pending 0 -" || $0.hasPrefix("completed ") }, "\(states)")
        #expect(states.contains { $0.hasPrefix("pending") }, "the disk filled after every trial had finished: \(states)")

        let rerun = try Binary.run(["run", spec, "--results", results.path], environment: worker.environment, unsetting: worker.unsetting)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try Sweeps.count(results, "SELECT COUNT(*) FROM trials WHERE state = 'completed'") == 4)
        #expect(try Sweeps.epochRows(results, timings: false) == Sweeps.epochRows(reference, timings: false))
        #expect(try Sweeps.trialRows(results) == Sweeps.trialRows(reference))
    }

    /// Writes `file` until the disk refuses another byte; returns the bytes written.
    static func fill(_ file: URL) -> Int {
        let fd = open(file.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var total = 0
        for chunk in [1 << 20, 4096, 1] {
            let bytes = [UInt8](repeating: 0x5a, count: chunk)
            while true {
                let n = write(fd, bytes, chunk)
                if n <= 0 { break }
                total += n
            }
        }
        fsync(fd)
        return total
    }
}
