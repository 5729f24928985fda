import Foundation
import Testing

/// Directory of the package (the tests run from anywhere).
enum Repo {
    static var root: URL {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { dir.deleteLastPathComponent() }
        return dir
    }
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    /// A fresh temporary directory for one test.
    static func scratch(_ name: String) -> URL {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("lipsweep-\(name)-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}

@Suite struct PlanTests {
    @Test func planPrintsTheTrialsOfTheSmokeSpec() throws {
        let r = try Binary.run(["plan", Repo.path("sweeps/smoke.yaml")])
        #expect(r.status == 0)
        #expect(r.stdout.contains("4 trials"))
        #expect(r.stdout.contains("config_hash"))
    }

    @Test func everyShippedSpecIsValid() throws {
        let shipped = try FileManager.default.contentsOfDirectory(atPath: Repo.path("sweeps")).filter { $0.hasSuffix(".yaml") }
        #expect(Set(["smoke.yaml", "default.yaml", "paper.yaml", "regularizers.yaml"]).isSubset(of: shipped))
        for name in shipped {
            let r = try Binary.run(["plan", Repo.path("sweeps/\(name)")])
            #expect(r.status == 0, "\(name): \(r.stderr)")
        }
    }
}
