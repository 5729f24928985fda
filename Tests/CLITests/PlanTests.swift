import Foundation
import Testing

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
