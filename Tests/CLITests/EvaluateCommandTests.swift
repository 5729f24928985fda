import Foundation
import Testing

@Suite struct EvaluateCommandTests {
    /// 4 events written by NumPy (the Calo fixtures).
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("CaloTests/Fixtures/numpy_float32.npz").path
    static let lhcb = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("CaloTests/Fixtures/lhcb_float64.npz").path

    func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lipsweep-evaluate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A file against itself: with k = 100 > 4 distinct events every event is its own cluster,
    /// the histograms are identical and both AUCs are 1 − tan(1e-10), printed as 1.000000.
    @Test func sameFileScoresOneAndWritesCurves() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = dir.appendingPathComponent("curve.csv")
        let r = try Binary.run(["evaluate", "--real", Self.fixture, "--generated", Self.fixture, "--curve", csv.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("RAW PRD: 1.000000\nPhysical PRD: 1.000000\nscore (min): 1.000000\nFPD: "))
        // Then the physics distances, one line each; a file against itself is at W1 = 0.
        let lines = r.stdout.split(separator: "\n").dropFirst(3).map(String.init)
        #expect(lines.map { $0.components(separatedBy: ": ")[0] }
                == ["FPD", "KPD", "KID", "W1 asym_along", "W1 asym_across", "W1 width_along", "W1 width_across", "W1 sparsity"])
        #expect(lines.suffix(5).allSatisfy { $0.hasSuffix(": 0") }, "\(r.stdout)")
        #expect(lines.prefix(3).allSatisfy { $0.contains(" ± ") })
        let rows = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n")
        #expect(rows.count == 1 + 2 * 1001)
        #expect(rows[0] == "metric,index,lambda,precision,recall")
        #expect(rows[1] == "raw,0,1e-10,1e-10,1.0")
        #expect(rows[1002].hasPrefix("physical,0,"))
    }

    @Test func differentFilesScoreBelowOne() throws {
        let r = try Binary.run(["evaluate", "--real", Self.fixture, "--generated", Self.lhcb, "--clusters", "2", "--runs", "2", "--seed", "3",
                                "--metrics", "prd"])
        #expect(r.status == 0, "\(r.stderr)")
        let numbers = r.stdout.split(separator: "\n").compactMap { Double($0.split(separator: " ").last!) }
        #expect(numbers.count == 3)
        #expect(numbers.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(numbers[2] == min(numbers[0], numbers[1]))
    }

    @Test func userMistakesExitTwo() throws {
        let missing = try Binary.run(["evaluate", "--real", "/no/such/file.npz", "--generated", Self.fixture])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("/no/such/file.npz"))

        let badK = try Binary.run(["evaluate", "--real", Self.fixture, "--generated", Self.fixture, "--clusters", "0"])
        #expect(badK.status == 2)
        #expect(badK.stderr.contains("--clusters 0"))

        let badRuns = try Binary.run(["evaluate", "--real", Self.fixture, "--generated", Self.fixture, "--runs", "-1"])
        #expect(badRuns.status == 2)

        let noDir = try Binary.run(["evaluate", "--real", Self.fixture, "--generated", Self.fixture,
                                    "--curve", "/no/such/dir/curve.csv"])
        #expect(noDir.status == 2)
        #expect(noDir.stderr.contains("/no/such/dir/curve.csv: cannot write the PRD curves"))

        let unknown = try Binary.run(["evaluate", "--real", Self.fixture, "--generated", Self.fixture, "--metrics", "prd,fid"])
        #expect(unknown.status == 2 && unknown.stdout.isEmpty)
        #expect(unknown.stderr.contains("--metrics prd,fid: 'fid' is not a metric; use a comma-separated list of prd, fpd, kpd, kid, w1"),
                "\(unknown.stderr)")
        let empty = try Binary.run(["evaluate", "--real", Self.fixture, "--generated", Self.fixture, "--metrics", "prd,"])
        #expect(empty.status == 2 && empty.stderr.contains("'' is not a metric"))
        let curveWithoutPRD = try Binary.run(["evaluate", "--real", Self.fixture, "--generated", Self.fixture, "--metrics", "fpd",
                                              "--curve", "/tmp/curve.csv"])
        #expect(curveWithoutPRD.status == 2 && curveWithoutPRD.stderr.contains("need prd in --metrics"))

        let bad = URL(fileURLWithPath: Self.fixture).deletingLastPathComponent().appendingPathComponent("bad_not_zip.npz").path
        let notZip = try Binary.run(["evaluate", "--real", Self.fixture, "--generated", bad])
        #expect(notZip.status == 2)
        #expect(notZip.stderr.hasPrefix("lipsweep: \(bad)"))
    }
}

/// `--metrics` chooses what is computed and printed.
@Suite struct EvaluateMetricsOptionTests {
    @Test func metricsSelectsTheLines() throws {
        let fixture = EvaluateCommandTests.fixture, lhcb = EvaluateCommandTests.lhcb
        let some = try Binary.run(["evaluate", "--real", fixture, "--generated", lhcb, "--metrics", " w1 ,kid"])
        #expect(some.status == 0, "\(some.stderr)")
        #expect(some.stdout.split(separator: "\n").map { $0.components(separatedBy: ": ")[0] }
                == ["KID", "W1 asym_along", "W1 asym_across", "W1 width_along", "W1 width_across", "W1 sparsity"])
        // KPD and KID come from the same draws: asking for both gives the same KID.
        let both = try Binary.run(["evaluate", "--real", fixture, "--generated", lhcb, "--metrics", "kpd,kid"])
        #expect(both.stdout.split(separator: "\n").last == some.stdout.split(separator: "\n").first)
        let prd = try Binary.run(["evaluate", "--real", fixture, "--generated", lhcb, "--metrics", "prd"])
        #expect(prd.stdout.split(separator: "\n").count == 3)
    }

    /// The distances need 3 events per sample (an FPD fit needs two subsample sizes ≥ 2);
    /// PRD alone does not.
    @Test func distancesNeedThreeEvents() throws {
        let dir = Repo.scratch("evaluate-two")
        defer { try? FileManager.default.removeItem(at: dir) }
        let two = dir.appendingPathComponent("two.npz").path
        #expect(try Binary.run(["simulate", "--events", "2", "--seed", "1", "--output", two]).status == 0)
        let r = try Binary.run(["evaluate", "--real", two, "--generated", EvaluateCommandTests.fixture, "--metrics", "fpd"])
        #expect(r.status == 2)
        #expect(r.stderr == "lipsweep: real sample: it has 2 events, the physics distances need at least 3; give more events\n")
        #expect(try Binary.run(["evaluate", "--real", two, "--generated", two, "--metrics", "prd"]).status == 0)
    }
}

/// End to end: two simulated files (different seeds) written by `lipsweep simulate`.
@Suite struct EvaluateSimulatedTests {
    @Test func independentSimulatedFilesScoreHigh() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lipsweep-evaluate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = dir.appendingPathComponent("a.npz").path, b = dir.appendingPathComponent("b.npz").path
        #expect(try Binary.run(["simulate", "--events", "1000", "--seed", "1", "--output", a]).status == 0)
        #expect(try Binary.run(["simulate", "--events", "1000", "--seed", "2", "--output", b]).status == 0)
        let r = try Binary.run(["evaluate", "--real", a, "--generated", b, "--clusters", "30", "--seed", "4"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 11 && lines[0].hasPrefix("RAW PRD: ") && lines[1].hasPrefix("Physical PRD: "))
        // Measured 0.972 / 0.970 (seed 0); independent samples of one simulator score > 0.93.
        let numbers = lines.prefix(3).compactMap { Double($0.split(separator: " ").last!) }
        #expect(numbers.count == 3 && numbers.allSatisfy { $0 > 0.93 }, "\(r.stdout)")
        // Small distances: measured (seed 4) FPD 0.0149 ± 0.0023, KPD 0.00020 ± 0.00022; the
        // same showers moved by one cell score FPD ≈ 0.36 (PhysicsDistanceReferenceTests).
        let output = EvaluateOutput(r.stdout)
        let fpd = try #require(output.estimates["FPD"]), kpd = try #require(output.estimates["KPD"])
        #expect(fpd.value < 0.04 && abs(kpd.value) < 0.002, "\(r.stdout)")
        // Same seed, same numbers (one BLAS thread by default).
        #expect(try Binary.run(["evaluate", "--real", a, "--generated", b, "--clusters", "30", "--seed", "4"]).stdout == r.stdout)
    }
}
