import Foundation
import Testing

/// `lipsweep simulate` and `lipsweep inspect` through the real binary.
@Suite struct CaloCommandTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("CaloTests/Fixtures")

    static func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("calo-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func simulateThenInspect() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("sim.npz").path
        let s = try Binary.run(["simulate", "--events", "300", "--seed", "5", "--output", out])
        #expect(s.status == 0, "\(s.stderr)")
        #expect(s.stdout.contains("wrote 300 simulated events (seed 5)"))
        let i = try Binary.run(["inspect", out])
        #expect(i.status == 0, "\(i.stderr)")
        #expect(i.stdout.contains("events          300"))
        #expect(i.stdout.contains("zero-energy     0 events"))
        for label in ["total energy", "total / |p|", "|p|", "px", "pz", "width_along", "sparsity_49"] {
            #expect(i.stdout.contains(label), "missing \(label)")
        }
        // The response line's mean is the simulator's ≈ 1.03.
        let response = i.stdout.split(separator: "\n").first { $0.hasPrefix("total / |p|") }!
        let mean = Double(response.components(separatedBy: "mean ")[1].split(separator: " ")[0])!
        #expect(abs(mean - 1.03) < 0.03)
        let all = try Binary.run(["inspect", out, "--all-features", "--z-off", "25"])
        #expect(all.stdout.contains("z_off = 25") && all.stdout.contains("sparsity_33"))
    }

    @Test func sameSeedWritesTheSameEvents() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = dir.appendingPathComponent("a.npz").path, b = dir.appendingPathComponent("b.npz").path
        #expect(try Binary.run(["simulate", "--events", "200", "--seed", "9", "--output", a, "--threads", "1"]).status == 0)
        #expect(try Binary.run(["simulate", "--events", "200", "--seed", "9", "--output", b, "--threads", "2"]).status == 0)
        #expect(FileManager.default.contentsEqual(atPath: a, andPath: b))
    }

    @Test func inspectReadsAnLHCbStyleFile() throws {
        let r = try Binary.run(["inspect", Self.fixtures.appendingPathComponent("lhcb_float64.npz").path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("events          4"))
    }

    @Test(arguments: [
        ("bad_shape_28.npz", "EnergyDeposit: has shape (4, 28, 28), expected (N, 30, 30)"),
        ("bad_missing_key.npz", "ParticlePoint: missing"),
        ("bad_dtype_int32.npz", "EnergyDeposit: has dtype '<i4' (int32)"),
        ("bad_event_counts.npz", "ParticleMomentum: has 3 events but EnergyDeposit has 4"),
        ("bad_not_zip.npz", "is not a readable .npz (zip) archive"),
        ("bad_truncated.npz", "is not a readable .npz (zip) archive"),
    ])
    func badFileExitsTwoWithOneClearLine(file: String, message: String) throws {
        let path = Self.fixtures.appendingPathComponent(file).path
        let r = try Binary.run(["inspect", path])
        #expect(r.status == 2)
        #expect(r.stderr.contains(path + ":"))
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)  // one message, no stack trace
        #expect(r.stdout.isEmpty)
    }

    @Test func inspectSaysSoWhenAFileHoldsNoEvents() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        // `simulate` refuses 0 events, so build an empty but valid file by hand: the fixture's
        // writer is the library, which the CLI tests do not import — use numpy when present.
        let path = dir.appendingPathComponent("empty.npz").path
        let numpy = try Child.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import sys, numpy as np; np.savez(sys.argv[1], EnergyDeposit=np.zeros((0, 30, 30), np.float32), ParticleMomentum=np.zeros((0, 3)), ParticlePoint=np.zeros((0, 2)))", path])
        guard numpy.status == 0 else { return }  // no numpy on this machine
        let r = try Binary.run(["inspect", path])
        #expect(r.status == 0)
        #expect(r.stdout.contains("events          0 (the arrays are empty)"))
    }

    @Test func missingFileAndBadOptionsExitTwo() throws {
        let missing = try Binary.run(["inspect", "/no/such/file.npz"])
        #expect(missing.status == 2 && missing.stderr.contains("/no/such/file.npz: no such file"))
        let zero = try Binary.run(["simulate", "--events", "0", "--output", "/tmp/x.npz"])
        #expect(zero.status == 2 && zero.stderr.contains("--events must be a positive number"))
        let suffix = try Binary.run(["simulate", "--events", "5", "--output", "/tmp/x.csv"])
        #expect(suffix.status == 2 && suffix.stderr.contains("must end in .npz"))
        let directory = try Binary.run(["simulate", "--events", "5", "--output", "/no/such/dir/x.npz"])
        #expect(directory.status == 2 && directory.stderr.contains("the directory /no/such/dir does not exist"))
    }
}
