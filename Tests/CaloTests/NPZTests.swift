import Foundation
import Testing
import Calo

/// The .npz reader and writer against files NumPy wrote, NumPy itself, and every bad file.
@Suite struct NPZTests {
    @Test func readsNumPySavezFloat32WithAnExtraKey() throws {
        let events = try CaloNPZ.read(Fixtures.url("numpy_float32.npz"))
        #expect(events == Fixtures.expected)
    }

    @Test func readsDeflatedFloat64WithThreeColumnPoints() throws {
        // np.savez_compressed, float64, ParticlePoint N×3 (x, y, z): the first two columns are used.
        let events = try CaloNPZ.read(Fixtures.url("lhcb_float64.npz"))
        #expect(events == Fixtures.expected)
    }

    @Test(arguments: [false, true])
    func writeThenReadIsIdentity(compressed: Bool) throws {
        let dir = try Fixtures.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let events = ShowerSimulator.simulate(count: 50, seed: 3)
        let url = dir.appendingPathComponent("sim.npz")
        try CaloNPZ.write(events, to: url, compressed: compressed)
        #expect(try CaloNPZ.read(url) == events)
    }

    @Test func npyVersions2And3HeadersAreRead() throws {
        // Versions 2.0 and 3.0 differ from 1.0 only by a 4-byte header length (3.0: UTF-8 header).
        let v1 = NPYArray(shape: [2, 3], values: [1, 2, 3, 4, 5, -6.5]).encoded()
        let headerLength = Int(v1[8]) | Int(v1[9]) << 8
        for major: UInt8 in [2, 3] {
            var v = Data(v1[0..<6]) + Data([major, 0])
            v += Data([UInt8(headerLength & 0xFF), UInt8(headerLength >> 8), 0, 0])
            v += v1[10...]
            let array = try NPYArray.decode(v)
            #expect(array.shape == [2, 3])
            #expect(array.values == [1, 2, 3, 4, 5, -6.5])
        }
    }

    @Test func npyHeaderIsWhatNumPyWrites() {
        let data = NPYArray(shape: [3], values: [1, 2, 3]).encoded()
        let header = String(decoding: data[10 ..< data.count - 12], as: UTF8.self)
        #expect(header.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }"))
        #expect(header.hasSuffix("\n"))
        #expect((data.count - 12) % 64 == 0)  // data aligned to 64 bytes, as numpy.save does
    }

    // MARK: bad files — one clear error each, naming the file, the key and the problem

    static let badFiles: [(file: String, key: String?, problem: String)] = [
        ("bad_missing_key.npz", "ParticlePoint", "missing"),
        ("bad_shape_28.npz", "EnergyDeposit", "has shape (4, 28, 28), expected (N, 30, 30)"),
        ("bad_dtype_int32.npz", "EnergyDeposit", "has dtype '<i4' (int32), which is not supported"),
        ("bad_big_endian.npz", "EnergyDeposit", "has dtype '>f4' (big-endian float32), which is not supported"),
        ("bad_fortran_order.npz", "EnergyDeposit", "Fortran (column-major) order"),
        ("bad_event_counts.npz", "ParticleMomentum", "has 3 events but EnergyDeposit has 4"),
        ("bad_truncated.npz", nil, "is not a readable .npz (zip) archive"),
        ("bad_not_zip.npz", nil, "is not a readable .npz (zip) archive"),
        ("no_such_file.npz", nil, "no such file"),
    ]

    @Test(arguments: badFiles.indices)
    func badFileGivesOneClearError(index: Int) {
        let (file, key, problem) = Self.badFiles[index]
        let url = Fixtures.url(file)
        do {
            _ = try CaloNPZ.read(url)
            Issue.record("\(file) was read without error")
        } catch {
            #expect(error.file == url.path)
            #expect(error.key == key)
            #expect(error.problem.contains(problem), "\(error.description)")
            #expect(error.description.hasPrefix(url.path + (key.map { ":" + $0 } ?? "") + ": "))
            #expect(!error.fix.isEmpty)
        }
    }

    @Test func missingKeyListsWhatTheFileHolds() {
        #expect(throws: CaloFileError.self) { try CaloNPZ.read(Fixtures.url("bad_missing_key.npz")) }
        do { _ = try CaloNPZ.read(Fixtures.url("bad_missing_key.npz")) } catch {
            #expect(error.problem.contains("EnergyDeposit, ParticleMomentum"))
        }
    }

    @Test func unwritableDestinationIsAUserError() {
        let url = URL(fileURLWithPath: "/nonexistent-dir-\(UUID().uuidString)/out.npz")
        do {
            try CaloNPZ.write(ShowerSimulator.simulate(count: 2, seed: 1), to: url)
            Issue.record("write into a missing directory succeeded")
        } catch {
            #expect(error.file == url.path)
            #expect(error.problem.contains("cannot be written: the directory"))
        }
    }

    // MARK: round trips through NumPy itself

    @Test(.enabled(if: Python.hasNumPy), arguments: [false, true])
    func numpyReadsWhatSwiftWrites(compressed: Bool) throws {
        let dir = try Fixtures.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("swift.npz")
        try CaloNPZ.write(Fixtures.expected, to: url, compressed: compressed)
        let script = """
        import sys, numpy as np
        d = np.load(sys.argv[1])
        n = 4
        e = np.arange(n, dtype=np.float64)
        assert sorted(d.files) == ['EnergyDeposit', 'ParticleMomentum', 'ParticlePoint'], d.files
        assert d['EnergyDeposit'].dtype == np.float32 and d['EnergyDeposit'].shape == (n, 30, 30)
        assert np.array_equal(d['EnergyDeposit'], (0.5 * np.arange(n * 900)).reshape(n, 30, 30))
        assert np.array_equal(d['ParticleMomentum'], np.stack([e + 1, -(e + 1) / 2, 10 * (e + 1)], 1))
        assert np.array_equal(d['ParticlePoint'], np.stack([0.25 * e, -0.125 * e], 1))
        print('ok')
        """
        let r = try Python.run(script, arguments: [url.path])
        #expect(r.status == 0 && r.output.contains("ok"), "\(r.output)")
    }

    @Test(.enabled(if: Python.hasNumPy))
    func swiftReadsWhatNumPyWritesNow() throws {
        let dir = try Fixtures.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("numpy.npz")
        // Random float32 and float64 values: the bits must survive exactly (float64 rounded to Float).
        let script = """
        import sys, numpy as np
        r = np.random.default_rng(5)
        n = 7
        E = r.gamma(0.3, 1.0, size=(n, 30, 30))
        P = r.normal(size=(n, 3)).astype(np.float32)
        X = r.uniform(-1, 1, size=(n, 2))
        np.savez_compressed(sys.argv[1], EnergyDeposit=E, ParticleMomentum=P, ParticlePoint=X)
        print(' '.join(repr(float(v)) for v in np.concatenate([E.astype(np.float32).ravel(), P.ravel(), X.astype(np.float32).ravel()])))
        """
        let r = try Python.run(script, arguments: [url.path])
        try #require(r.status == 0, "\(r.output)")
        let expected = r.output.split(separator: " ").map { Float(Double($0.trimmingCharacters(in: .whitespacesAndNewlines))!) }
        let events = try CaloNPZ.read(url)
        #expect(events.count == 7)
        #expect(events.energy + events.momentum + events.point == expected)
    }
}
