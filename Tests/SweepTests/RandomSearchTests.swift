import Foundation
import Sweep
import Testing
import TrialProtocol

/// sn and hinge m ∈ {4, 16}, 5 points of lr in [1e-4, 1) each, seeds 1 and 2.
private let randomSpec = """
    training: {epochs: 30}
    grid:
      regularizer: [sn, hinge]
      margin: [4, 16]
    search: {kind: random, axis: lr, range: [1e-4, 1.0], trials: 5}
    seeds: [1, 2]
    """

private func random(_ spec: SweepSpec) throws -> RandomSearch { try #require(spec.search as? RandomSearch) }

@Suite struct RandomSearchTests {
    @Test func theSameSpecPlansTheSamePointsEveryOneInRangeWithEverySeed() throws {
        let spec = try parse(randomSpec)
        let search = try random(spec)
        #expect(search.combinations.count == 3 && search.seeds == [1, 2] && search.seed == 0)
        #expect(search.points.allSatisfy { $0.count == 5 && Set($0).count == 5 && $0.allSatisfy { $0 >= 1e-4 && $0 < 1 } })
        #expect(Set(search.points.flatMap { $0 }).count == 15, "each combination draws its own points")
        #expect(spec.trials.count == 3 * 5 * 2 && search.maxTrials == 30 && spec.trials.map(\.number) == Array(0..<30))
        #expect(spec.trials.prefix(2).map(\.config.training.seed) == [1, 2])
        #expect(spec.trials[0].config.training.lr == spec.trials[1].config.training.lr)
        #expect(spec.varyingAxes.contains("lr") && spec.search.plannedNoun == "trials")
        #expect(try parse(randomSpec).trials.map(\.configHash) == spec.trials.map(\.configHash))
        #expect(spec.trials.allSatisfy { t in search.covers(TrialRecord(id: 1, sweepID: 1, number: t.number, configHash: t.configHash, config: t.config, state: .pending, attempts: 0)) })
        // Every trial is planned: the search adds none beyond them.
        #expect(search.additions(stored: []).flatMap(\.trials).map(\.configHash) == spec.trials.map(\.configHash))
    }

    @Test func pointsFollowTheCombinationTheDrawSeedAndTheirCountOnly() throws {
        let search = try random(try parse(randomSpec))
        // A new margin adds a combination and leaves the others' points as they were.
        let wider = try random(try parse(randomSpec.replacingOccurrences(of: "[4, 16]", with: "[2, 4, 16]")))
        for (c, template) in search.combinations.enumerated() {
            #expect(wider.points[try #require(wider.combinations.firstIndex(of: template))] == search.points[c])
        }
        // Other trial seeds, the same points; more points keep the first ones; another draw seed, others.
        #expect(try random(try parse(randomSpec.replacingOccurrences(of: "[1, 2]", with: "[7]"))).points == search.points)
        let more = try random(try parse(randomSpec.replacingOccurrences(of: "trials: 5", with: "trials: 8")))
        #expect(more.points.map { Array($0.prefix(5)) } == search.points)
        let other = try random(try parse(randomSpec.replacingOccurrences(of: "trials: 5", with: "trials: 5, seed: 1")))
        #expect(Set(other.points.flatMap { $0 }).isDisjoint(with: search.points.flatMap { $0 }))
    }

    @Test func pointsAreLogUniform() throws {
        let search = try random(try parse("""
            training: {epochs: 30}
            search: {kind: random, range: [1e-6, 1.0], trials: 600}
            """))
        let u = search.points[0].map { log10($0 / 1e-6) / 6 }
        // Each of the six decades holds about a sixth of the points (binomial sd ≈ 9 of 100).
        for decade in 0..<6 {
            let n = u.filter { $0 >= Double(decade) / 6 && $0 < Double(decade + 1) / 6 }.count
            #expect(n > 70 && n < 130, "decade \(decade): \(n) of 600")
        }
        #expect(abs(u.reduce(0, +) / 600 - 0.5) < 0.03)
    }

    @Test func storedWithItsKindAndReadBackAsBeforeWithoutOne() throws {
        let spec = try parse(randomSpec)
        let json = SearchKinds.json(spec.search)
        #expect(json.hasPrefix("{") && json.contains("\"kind\":\"random\""))
        let record = { (json: String?) in
            SweepRecord(id: 1, name: "s", specText: "", specHash: "", codeVersion: "", createdAt: "", searchJSON: json)
        }
        #expect(try record(json).search() as? RandomSearch == (try random(spec)))
        let boundary = try #require(try parse(randomSpec.replacingOccurrences(of: "kind: random", with: "kind: boundary")
            .replacingOccurrences(of: ", trials: 5", with: "")).search.boundary)
        #expect(SearchKinds.json(boundary).contains("\"kind\":\"boundary\""))
        // A database of before the tag: the boundary search's own JSON, and nothing for a grid.
        let untagged = String(decoding: try JSONEncoder().encode(boundary), as: UTF8.self)
        #expect(!untagged.contains("\"kind\""))
        #expect(try record(untagged).search().boundary == boundary)
        #expect(type(of: try record(nil).search()).kind == "grid")
        #expect(SearchKinds.json(try record(nil).search()) == "{\"kind\":\"grid\"}")
        #expect(throws: StoreError.self) { try record("{\"kind\":\"sobol\"}").search() }
    }

    @Test func sectionMistakesNameTheLineAndTheRegisteredKinds() throws {
        func error(_ yaml: String) throws -> SpecError {
            do { _ = try parse(yaml) } catch let e as SpecError { return e }
            Issue.record("accepted: \(yaml)")
            throw CancellationError()
        }
        let unknown = try error("search:\n  kind: sobol\n")
        #expect(unknown.line == 2 && unknown.description.contains("grid, boundary, random"), "\(unknown)")
        let foreign = try error("search:\n  kind: random\n  range: [1e-4, 1]\n  trials: 3\n  resolution: 1.5\n")
        #expect(foreign.line == 5 && foreign.problem.contains("a random search does not take resolution") && foreign.fix.contains("boundary"))
        let noTrials = try error("search: {kind: random, range: [1e-4, 1]}\n")
        #expect(noTrials.problem.contains("a random search needs trials"))
        let zero = try error("search:\n  kind: random\n  range: [1e-4, 1]\n  trials: 0\n")
        #expect(zero.line == 4)
        let axis = try error("grid:\n  lr: [1e-3, 1e-2]\nsearch: {kind: random, range: [1e-4, 1], trials: 3}\n")
        #expect(axis.line == 2 && axis.problem.contains("lr is the searched axis"))
        let integer = try error("search:\n  kind: random\n  axis: batch\n  range: [1, 64]\n  trials: 3\n")
        #expect(integer.line == 3 && integer.problem.contains("takes whole numbers"))
    }
}
