import Foundation
import GRDB
import Testing

/// `model.arch` as a sweep axis (issue 14): `plan` shows it, `trials.arch` stores it, `query`
/// filters by it, `export qg` and the report keep the two families apart.
@Suite struct ArchitectureAxisTests {
    static let spec = "name: arch\n" + Sweeps.tinyHeader + "\n" + """
        grid:
          arch: [dcgan, resnet]
          regularizer: [sn]
          lr: [1e-3, 3e-3]
        seeds: [1]
        executor: {workers: 2, retries: 0}
        """

    @Test func archIsAGridAxisEverywhere() throws {
        let dir = Repo.scratch("arch-axis")
        let spec = try Sweeps.writeSpec(Self.spec, in: dir)
        let results = dir.appendingPathComponent("results")
        let plan = try Binary.run(["plan", spec])
        #expect(plan.status == 0 && plan.stdout.contains("arch") && plan.stdout.contains("resnet"), "\(plan.stdout)\(plan.stderr)")
        #expect(plan.stdout.contains("4 trials"))
        // A dcgan trial's config has no arch (the same hash as before the family existed).
        let json = try Binary.run(["plan", spec, "--json"]).stdout
        #expect(json.components(separatedBy: "\"arch\":\"resnet\"").count - 1 == 2 && !json.contains("\"arch\":\"dcgan\""))

        #expect(try Sweeps.lipsweep(["run", spec, "--results", results.path]).status == 0)
        #expect(try Sweeps.database(results).read { db in try String.fetchAll(db, sql: "SELECT arch FROM trials ORDER BY number") }
                == ["dcgan", "dcgan", "resnet", "resnet"])
        let query = try Binary.run(["query", "--results", results.path, "--where", "arch=resnet", "--columns", "number,arch,lr", "--format", "csv"])
        #expect(query.stdout == "number,arch,lr\n2,resnet,0.001\n3,resnet,0.003\n", "\(query.stdout)\(query.stderr)")
        #expect(try Binary.run(["query", "--results", results.path, "--where", "arch=resnt"]).stderr.contains("did you mean `resnet`?"))

        let qg = try Binary.run(["export", "qg", "--results", results.path, "--output", "-"])
        let rows = qg.stdout.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows.first?.prefix(3) == ["regularizer", "arch", "loss"])
        #expect(rows.dropFirst().map { "\($0[1]) \($0[6])" } == ["dcgan 0.001", "dcgan 0.003", "resnet 0.001", "resnet 0.003"])

        let report = dir.appendingPathComponent("report.html")
        #expect(try Binary.run(["report", "--results", results.path, "--output", report.path]).status == 0)
        let html = try String(contentsOf: report, encoding: .utf8)
        #expect(html.contains(">dcgan<") || html.contains("dcgan</text>"), "the QG curves name their family")
        #expect(html.contains("resnet"))
    }
}
