import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import GRDB
import Testing

/// The replicated boundary search (`search.replicates`) end to end through the real binary,
/// with the scripted worker made noisy: every seed turns at T = 0.25·2/L (L = 1.1 for sn, 1.1·m
/// for hinge), and seed s's QG rate is ln(T/lr) + z_s, the same z_s at every point (common
/// random numbers). Seed 1 is noise-positive (z_1 = 0.7): alone it turns at T·e^0.7 ≈ 2T.
enum ReplicatedFixtures {
    static let offsets = [0.7, -0.3, -0.2, -0.1, -0.1, 0.0]
    static func turn(margin: Double?) -> Double { 0.25 * 2 / (1.1 * (margin ?? 1)) }
    /// Hinge m = 16 does not converge at lr 1e-3, below its turn: a non-monotone combination.
    static var env: [String: String] {
        ["FAKE_TURN": "0.25", "FAKE_SEED_OFFSETS": offsets.map { String($0) }.joined(separator: ","),
         "FAKE_DIP_LR": "0.001", "FAKE_DIP_MARGIN": "16"]
    }
    static let replicates = "replicates: {min: 2, max: 6, confidence: 0.95}"

    static func spec(name: String = "rsearch", margins: String = "[1, 4, 16]", regularizers: String = "[sn, hinge]",
                     seeds: String = "[1, 2, 3, 4, 5, 6]", replicates: String? = Self.replicates) -> String {
        "name: \(name)\n" + Sweeps.tinyHeader + "\n" + """
            grid:
              regularizer: \(regularizers)
              margin: \(margins)
            search: {kind: boundary, axis: lr, range: [1e-4, 1.0], initial: 5, resolution: 1.5, threshold: 0\(replicates.map { ", \($0)" } ?? "")}
            seeds: \(seeds)
            executor: {workers: 2, retries: 1, backoff_seconds: 0.1}
            """
    }

    /// Row of `export boundary` by label ("sn", "hinge 4").
    static func byCombination(_ rows: [[String: Any]]) -> [String: [String: Any]] {
        Dictionary(uniqueKeysWithValues: rows.map { row in
            ((row["regularizer"] as! String) + ((row["margin"] as? Double).map { " \(formatted($0))" } ?? ""), row)
        })
    }
    static func formatted(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : String(x) }

    /// t_{0.95, ν} (scipy.stats.t.ppf(0.95, ν)), for the direct computation of the bounds.
    static let t95: [Int: Double] = [1: 6.313751514675037, 2: 2.9199855803537242, 3: 2.3533634348018233,
                                     4: 2.1318467863266504, 5: 2.0150483733330233]
}

@Suite(.serialized) struct ReplicatedBoundarySearchRunTests {
    @Test func bracketsTheTurnOneNoisySeedMisplacesFlagsANonMonotoneCombinationAndDrawsIt() throws {
        let dir = Repo.scratch("replicated")
        let results = dir.appendingPathComponent("results")
        let spec = try Sweeps.writeSpec(ReplicatedFixtures.spec(), in: dir)
        let plan = try Sweeps.lipsweep(["plan", spec])
        #expect(plan.status == 0, "\(plan.stderr)")
        // 4 combinations × 5 initial points × 2 seeds; at most 4 × (5 + 2 × 3) points × 6 seeds.
        #expect(plan.stdout.contains("each point starts with the first 2 seed(s) and takes one more, up to 6"), "\(plan.stdout)")
        #expect(plan.stdout.contains("at most 264 trials with 6 seed(s) at every point (40 initial)"), "\(plan.stdout)")

        let r = try Sweeps.lipsweep(["run", spec, "--results", results.path], env: ReplicatedFixtures.env)
        #expect(r.status == 0, "\(r.stderr)")
        let rows = ReplicatedFixtures.byCombination(try SearchFixtures.brackets(results))
        #expect(rows.count == 4)
        for (name, margin) in [("sn", nil), ("hinge 1", 1.0), ("hinge 4", 4.0)] as [(String, Double?)] {
            let row = try #require(rows[name])
            let t = ReplicatedFixtures.turn(margin: margin)
            let lo = row["lr_lo"] as? Double ?? .nan, hi = row["lr_hi"] as? Double ?? .nan
            #expect(["bracketed", "undecided"].contains(row["status"] as? String), "\(name): \(row)")
            #expect(lo < t && t < hi, "\(name): [\(lo), \(hi)] should hold \(t)")
        }
        let dip = try #require(rows["hinge 16"])
        #expect(dip["status"] as? String == "non-monotone", "\(dip)")
        #expect((dip["note"] as? String)?.contains("not converging at lr 0.001") == true, "\(dip)")

        // Each end's interval is the direct Student-t computation over its first n seeds' QGs:
        // mean ∓ t_{0.95, n−1} · sd / √n.
        for (name, row) in rows {
            #expect(row["ci_confidence"] as? Double == 0.95)
            for end in ["lo", "hi"] {
                guard let lr = row["lr_\(end)"] as? Double else { continue }
                let n = try #require(row["seeds_\(end)"] as? Int)
                let margin = row["margin"] as? Double
                let qgs = try Sweeps.database(results).read { db in
                    try Double.fetchAll(db, sql: """
                        SELECT qg FROM trials WHERE regularizer = ? AND margin IS ? AND abs(lr / ? - 1) < 1e-9 AND seed <= ? ORDER BY seed
                        """, arguments: [row["regularizer"] as! String, margin, lr, n])
                }
                #expect(qgs.count == n, "\(name) \(end)")
                let mean = qgs.reduce(0, +) / Double(n)
                let sd = (qgs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)).squareRoot()
                let half = try #require(ReplicatedFixtures.t95[n - 1]) * sd / Double(n).squareRoot()
                #expect(abs((row["qg_\(end)_mean"] as? Double ?? .nan) - mean) < 1e-12, "\(name) \(end)")
                #expect(abs((row["qg_\(end)_ci_low"] as? Double ?? .nan) - (mean - half)) < 1e-12, "\(name) \(end)")
                #expect(abs((row["qg_\(end)_ci_high"] as? Double ?? .nan) - (mean + half)) < 1e-12, "\(name) \(end)")
                // The decision the interval explains.
                if end == "lo" { #expect(mean - half > 0) } else { #expect(mean + half < 0) }
            }
        }
        // Never a (point, seed) twice, and a point's seeds are the first n: 1…n.
        let trials = try Sweeps.count(results, "SELECT count(*) FROM trials")
        #expect(try Sweeps.count(results, "SELECT count(*) FROM (SELECT DISTINCT regularizer, margin, lr, seed FROM trials)") == trials)
        #expect(try Sweeps.count(results, "SELECT sum(attempts) FROM trials") == trials)
        #expect(try Sweeps.count(results, """
            SELECT count(*) FROM (SELECT max(seed) AS top, count(*) AS n FROM trials GROUP BY regularizer, margin, lr) WHERE top != n
            """) == 0)
        #expect(trials <= 264)

        let status = try Sweeps.lipsweep(["status", "--results", results.path])
        #expect(status.stdout.contains("a point takes 2–6 seed(s)"), "\(status.stdout)")
        #expect(status.stdout.range(of: #"hinge m=16 α=1 +non-monotone: lr in \["#, options: .regularExpression) != nil, "\(status.stdout)")

        // The figure: one bar per hinge combination (all three have a bracket), the
        // non-monotone one in its own style, sn as a span, and the flag above it.
        let html = try Sweeps.lipsweep(["report", "--results", results.path, "--output", dir.appendingPathComponent("r.html").path])
        #expect(html.status == 0, "\(html.stderr)")
        let page = try String(contentsOf: dir.appendingPathComponent("r.html"), encoding: .utf8)
        #expect(page.contains("Convergence boundary against margin (Figs. 4–5)"))
        #expect(page.components(separatedBy: "class=\"bracket-bar ").count - 1 == 3)
        #expect(page.components(separatedBy: "class=\"bracket-bar non-monotone\"").count - 1 == 1)
        #expect(page.components(separatedBy: "class=\"y-span sn ").count - 1 == 1)
        #expect(page.contains("hinge m=16 α=1 non-monotone (not converging at lr 0.001"))
        // The same figure alone, as an SVG file (`--figure boundary`): the page's plot with its
        // styles inside, parseable as XML on its own.
        let svgFile = dir.appendingPathComponent("fig/boundary.svg")
        let figure = try Sweeps.lipsweep(["report", "--results", results.path, "--figure", "boundary", "--output", svgFile.path])
        #expect(figure.status == 0 && figure.stdout == svgFile.path + "\n", "\(figure.stderr)")
        let svg = try String(contentsOf: svgFile, encoding: .utf8)
        #expect(try XMLDocument(xmlString: svg).rootElement()?.name == "svg")
        #expect(svg.contains("<style>") && svg.contains(".tick {"))
        let pagePlot = try #require(page.range(of: "<svg [^\\n]*aria-label=\"Convergence boundary", options: .regularExpression))
        let pageSVG = page[pagePlot.lowerBound...].components(separatedBy: "</svg>")[0]
        #expect(svg.replacingOccurrences(of: #"<\?xml[^\n]*\n|<style>[^\n]*\n<rect width="100%"[^\n]*\n"#, with: "",
                                         options: .regularExpression) == pageSVG + "</svg>\n")

        // Seed 1 alone (the search without replicates): every bracket sits above the turn.
        let single = dir.appendingPathComponent("single")
        let singleSpec = try Sweeps.writeSpec(ReplicatedFixtures.spec(name: "single", seeds: "[1]", replicates: nil), in: dir, name: "single.yaml")
        #expect(try Sweeps.lipsweep(["run", singleSpec, "--results", single.path], env: ReplicatedFixtures.env).status == 0)
        let misplaced = ReplicatedFixtures.byCombination(try SearchFixtures.brackets(single))
        for (name, margin) in [("sn", nil), ("hinge 1", 1.0), ("hinge 4", 4.0)] as [(String, Double?)] {
            let row = try #require(misplaced[name])
            #expect(row["status"] as? String == "bracketed" && row["seeds_lo"] as? Int == 1, "\(name): \(row)")
            #expect((row["lr_lo"] as? Double ?? 0) > ReplicatedFixtures.turn(margin: margin), "\(name): \(row)")
        }
    }

    @Test func killedSchedulerThenRerunMakesTheSameDecisionsAndRunsNoPointSeedTwice() throws {
        let dir = Repo.scratch("replicated-kill9")
        let spec = try Sweeps.writeSpec(ReplicatedFixtures.spec(margins: "[4, 16]", regularizers: "[hinge]"), in: dir)
        // Killed once points have taken more seeds than the initial 2 × 5 × 2: the same
        // decisions (trials, QGs, export rows) as the uninterrupted run.
        let (results, clean) = try SearchFixtures.killedThenRerun(spec, in: dir, env: ReplicatedFixtures.env) {
            try Sweeps.count($0, "SELECT count(*) FROM trials") > 24
        }
        #expect(NSArray(array: try SearchFixtures.brackets(results)) == NSArray(array: try SearchFixtures.brackets(clean)))
        let brackets = try SearchFixtures.brackets(results)
        let rows = ReplicatedFixtures.byCombination(brackets)
        #expect(rows["hinge 16"]?["status"] as? String == "non-monotone", "\(brackets)")
        #expect(["bracketed", "undecided"].contains(rows["hinge 4"]?["status"] as? String), "\(brackets)")
        // Never a (point, seed) twice.
        #expect(try Sweeps.count(results, "SELECT count(*) FROM (SELECT DISTINCT margin, lr, seed FROM trials)")
                == Sweeps.count(results, "SELECT count(*) FROM trials"))
    }

    @Test(arguments: [
        ("  replicates:\n    min: 2\n    max: 7\n", "spec.yaml:12", "replicates.max is 7 but the spec has 6 seed(s)"),
        ("  replicates:\n    min: 0\n    max: 4\n", "spec.yaml:11", "replicates.min must be at least 1, found 0"),
        ("  replicates:\n    min: 5\n    max: 3\n", "spec.yaml:11", "replicates.min (5) is above max (3)"),
        ("  replicates:\n    max: 4\n    confidence: 0.5\n", "spec.yaml:12", "must lie strictly between 0.5 and 1, found 0.5"),
        ("  replicates:\n    max: 4\n    confidence: 1.2\n", "spec.yaml:12", "must lie strictly between 0.5 and 1, found 1.2"),
        ("  replicates:\n    maxx: 4\n", "spec.yaml:11", "did you mean `max`?"),
    ])
    func planRefusesBadReplicatesWithFileAndLine(_ replicates: String, _ place: String, _ problem: String) throws {
        let dir = Repo.scratch("bad-replicates")
        // Lines 1–5 name and header, 6 grid, 7 search, 8 kind, 9 range, 10 `replicates:`, 11… its keys.
        let yaml = "name: x\n" + Sweeps.tinyHeader + "\ngrid: {regularizer: [sn]}\nsearch:\n  kind: boundary\n  range: [1e-4, 1.0]\n"
            + replicates + "seeds: [1, 2, 3, 4, 5, 6]\n"
        let spec = try Sweeps.writeSpec(yaml, in: dir)
        let r = try Sweeps.lipsweep(["plan", spec])
        #expect(r.status == 2)
        #expect(r.stderr.contains(place), "\(r.stderr)")
        #expect(r.stderr.contains(problem), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }
}
