import Foundation
import Calo

/// The `.npz` fixtures written by NumPy (`Fixtures/make_fixtures.py`) and their known values.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    /// What make_fixtures.py stores: 4 events, exact in float32.
    static let expected: CaloEvents = {
        let n = 4
        var events = CaloEvents(zeros: n)
        for k in 0 ..< n * 900 { events.energy[k] = 0.5 * Float(k) }
        for e in 0..<n {
            let m = Float(e + 1)
            events.momentum[3 * e] = m
            events.momentum[3 * e + 1] = -m / 2
            events.momentum[3 * e + 2] = 10 * m
            events.point[2 * e] = 0.25 * Float(e)
            events.point[2 * e + 1] = -0.125 * Float(e)
        }
        return events
    }()

    /// A fresh scratch directory under the system temporary directory.
    static func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("calo-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}

/// Runs python3 with numpy, when this machine has it.
enum Python {
    static let hasNumPy: Bool = (try? run("import numpy").status) == 0

    static func run(_ script: String, arguments: [String] = []) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script] + arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
