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
        #expect(r.stdout == "RAW PRD: 1.000000\nPhysical PRD: 1.000000\nscore (min): 1.000000\n")
        let lines = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 1 + 2 * 1001)
        #expect(lines[0] == "metric,index,lambda,precision,recall")
        #expect(lines[1] == "raw,0,1e-10,1e-10,1.0")
        #expect(lines[1002].hasPrefix("physical,0,"))
    }

    @Test func differentFilesScoreBelowOne() throws {
        let r = try Binary.run(["evaluate", "--real", Self.fixture, "--generated", Self.lhcb, "--clusters", "2", "--runs", "2", "--seed", "3"])
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

        let bad = URL(fileURLWithPath: Self.fixture).deletingLastPathComponent().appendingPathComponent("bad_not_zip.npz").path
        let notZip = try Binary.run(["evaluate", "--real", Self.fixture, "--generated", bad])
        #expect(notZip.status == 2)
        #expect(notZip.stderr.hasPrefix("lipsweep: \(bad)"))
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
        #expect(lines.count == 3 && lines[0].hasPrefix("RAW PRD: ") && lines[1].hasPrefix("Physical PRD: "))
        // Measured 0.972 / 0.970 (seed 0); independent samples of one simulator score > 0.93.
        let numbers = lines.compactMap { Double($0.split(separator: " ").last!) }
        #expect(numbers.count == 3 && numbers.allSatisfy { $0 > 0.93 }, "\(r.stdout)")
        // Same seed, same numbers (one BLAS thread by default).
        #expect(try Binary.run(["evaluate", "--real", a, "--generated", b, "--clusters", "30", "--seed", "4"]).stdout == r.stdout)
    }
}
