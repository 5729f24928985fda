import Foundation
import Testing

/// The smoke sweep with the real trainer (`lipsweep train`, no LIPSWEEP_WORKER), end to end.
@Suite struct RealTrainerSmokeTests {
    @Test
    func smokeSweepEndToEnd() throws {
        let dir = Repo.scratch("real")
        let results = dir.appendingPathComponent("results")
        let r = try Binary.run(["run", Repo.path("sweeps/smoke.yaml"), "--results", results.path])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        let trials = try Sweeps.count(results, "SELECT count(*) FROM trials")
        #expect(trials == 4)
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'completed'") == trials)
        // One row per trial × epoch (smoke.yaml: 3 epochs), with both PRDs and a Lipschitz bound.
        #expect(try Sweeps.count(results, "SELECT count(*) FROM epochs") == 3 * trials)
        #expect(try Sweeps.count(results, "SELECT count(*) FROM epochs WHERE raw_prd IS NULL OR phys_prd IS NULL OR lipschitz_bound IS NULL") == 0)
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE qg IS NULL OR qg_slope IS NULL OR l_30 IS NULL") == 0)
        let export = try Binary.run(["export", "qg", "--results", results.path, "--format", "json", "--output", "-"])
        #expect(export.status == 0)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(export.stdout.utf8)) as? [[String: Any]])
        try QGCheck.expectExportEqualsSQL(rows, results: results)
    }
}
