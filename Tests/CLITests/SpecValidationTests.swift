import Foundation
import Testing

/// Every spec mistake that used to pass `plan` and fail inside a worker (or make a sweep do
/// nothing) is refused by `plan` and by `run` alike: exit 2, one line naming the spec file and
/// the line to change, and nothing written.
@Suite struct SpecValidationTests {
    struct Mistake: CustomStringConvertible, Sendable {
        var name: String
        /// The spec; `DIR` stands for the scratch directory holding its data files.
        var spec: String
        var line: Int
        var says: String
        var description: String { name }
    }

    static let mistakes: [Mistake] = [
        Mistake(name: "data file that is not an npz", spec: "name: m\ndataset:\n  source: npz\n  path: garbage.npz\n", line: 4,
                says: "not a readable .npz"),
        Mistake(name: "data file with too few events", spec: "name: m\ndataset:\n  path: ten.npz\n  train: 64\n  test: 32\n", line: 4,
                says: "holds 10 events, fewer than dataset.train + dataset.test = 96"),
        Mistake(name: "data file with a bad array", spec: "name: m\ndataset: {path: int32.npz, train: 2, test: 1}\n", line: 2,
                says: "EnergyDeposit: has dtype '<i4'"),
        Mistake(name: "batch larger than the training set", spec: "name: m\ndataset: {train: 64, test: 32}\ntraining:\n  batch: 128\n",
                line: 4, says: "a batch of 128 is larger than the 64 training events"),
        Mistake(name: "more clusters than test events", spec: "name: m\ndataset: {train: 64, test: 32}\nevaluation:\n  clusters: 50\n",
                line: 4, says: "50 k-means clusters are more than the 32 test events"),
        Mistake(name: "empty grid axis", spec: "name: m\ngrid:\n  regularizer: [sn]\n  lr: []\n", line: 4, says: "the list is empty"),
        Mistake(name: "empty seed list", spec: "name: m\nseeds: []\n", line: 2, says: "the list is empty"),
        Mistake(name: "empty regularizer list", spec: "name: m\ngrid:\n  regularizer: []\n", line: 3, says: "the list is empty"),
        Mistake(name: "QG window longer than the training", spec: "name: m\ntraining: {epochs: 10}\nqg:\n  epochs: 30\n", line: 4,
                says: "longer than the 10 training epochs"),
        Mistake(name: "parameter no regularizer uses", spec: "name: m\ngrid:\n  regularizer: [sn]\n  lambda: [0.1]\n", line: 4,
                says: "lambda is given but no trial uses it"),
        // search: and pruning: (issue 13)
        Mistake(name: "search range reversed", spec: "name: m\nsearch:\n  kind: boundary\n  range: [1.0, 1e-4]\n", line: 4,
                says: "the range is reversed or empty: [1, 0.0001]"),
        Mistake(name: "search range not positive", spec: "name: m\nsearch:\n  kind: boundary\n  range: [0, 1]\n", line: 4,
                says: "the range must be positive"),
        Mistake(name: "search resolution not above 1", spec: "name: m\nsearch:\n  kind: boundary\n  range: [1e-4, 1]\n  resolution: 1\n",
                line: 5, says: "resolution must be above 1"),
        Mistake(name: "search with one initial point", spec: "name: m\nsearch:\n  kind: boundary\n  range: [1e-4, 1]\n  initial: 1\n",
                line: 5, says: "initial must be at least 2"),
        Mistake(name: "search axis not numeric", spec: "name: m\nsearch:\n  kind: boundary\n  axis: loss\n  range: [1e-4, 1]\n", line: 4,
                says: "`loss` is not numeric"),
        Mistake(name: "search axis also a grid axis", spec: "name: m\ngrid:\n  lr: [1e-3, 1e-2]\nsearch: {kind: boundary, range: [1e-4, 1]}\n",
                line: 3, says: "lr is the searched axis"),
        Mistake(name: "pruning rungs not increasing", spec: "name: m\ntraining: {epochs: 90}\npruning:\n  rungs:\n    - 30\n    - 30\n  keep: 0.5\n",
                line: 6, says: "the rungs must increase: 30 comes after 30"),
        Mistake(name: "pruning rung below the QG window", spec: "name: m\ntraining: {epochs: 90}\npruning:\n  rungs:\n    - 10\n    - 60\n  keep: 0.5\n",
                line: 5, says: "the first rung (10) is below qg.epochs = 30"),
        Mistake(name: "pruning keep of 1", spec: "name: m\ntraining: {epochs: 90}\npruning:\n  rungs: [30, 60]\n  keep: 1\n", line: 5,
                says: "keep must lie strictly between 0 and 1"),
        Mistake(name: "pruning keep of 0", spec: "name: m\ntraining: {epochs: 90}\npruning:\n  rungs: [30, 60]\n  keep: 0\n", line: 5,
                says: "keep must lie strictly between 0 and 1"),
        // qg.estimator and pruning.min_trials (issue 22)
        Mistake(name: "unknown QG estimator", spec: "name: m\nqg:\n  epochs: 30\n  estimator: median\n", line: 4,
                says: "endpoints, slope"),
        Mistake(name: "pruning min_trials of 0", spec: "name: m\ntraining: {epochs: 90}\npruning:\n  rungs: [30, 60]\n  keep: 0.5\n  min_trials: 0\n",
                line: 6, says: "min_trials must be at least 1"),
        Mistake(name: "pruning min_trials not a whole number", spec: "name: m\ntraining: {epochs: 90}\npruning:\n  rungs: [30, 60]\n  keep: 0.5\n  min_trials: 2.5\n",
                line: 6, says: "expected a whole number"),
    ]

    @Test(arguments: mistakes) func refusedAtPlanAndRunWithTheLineAndNothingWritten(_ mistake: Mistake) throws {
        let dir = Repo.scratch("mistake")
        try Data("this is not a zip archive".utf8).write(to: dir.appendingPathComponent("garbage.npz"))
        let small = try Binary.run(["simulate", "--events", "10", "--seed", "1", "--output", dir.appendingPathComponent("ten.npz").path])
        #expect(small.status == 0, "\(small.stderr)")
        try FileManager.default.copyItem(atPath: Repo.path("Tests/CaloTests/Fixtures/bad_dtype_int32.npz"),
                                         toPath: dir.appendingPathComponent("int32.npz").path)
        let spec = try Sweeps.writeSpec(mistake.spec, in: dir)
        let results = dir.appendingPathComponent("results")
        for command in [["plan", spec], ["run", spec, "--results", results.path]] {
            let r = try Sweeps.lipsweep(command)
            #expect(r.status == 2, "\(command[0]): \(r.stdout) \(r.stderr)")
            #expect(r.stderr.hasPrefix("lipsweep: \(spec):\(mistake.line): "), "\(command[0]): \(r.stderr)")
            #expect(r.stderr.contains(mistake.says), "\(command[0]): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "one line: \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: results.path), "run wrote \(results.path)")
    }

    /// A spec with nothing set and `lipsweep train` with nothing set describe the same trial —
    /// and so with one setting changed on each side (the defaults live in one place).
    @Test(arguments: [("", [String]()), ("model: {preset: small}\n", ["--preset", "small"]),
                      ("training: {regularizer: hinge}\n", ["--regularizer", "hinge"]),
                      ("training: {regularizer: lecam, loss: ls}\n", ["--regularizer=lecam", "--loss", "ls"])])
    func specAndTrainerAgreeOnEveryDefault(_ spec: String, _ options: [String]) throws {
        let dir = Repo.scratch("defaults")
        let path = try Sweeps.writeSpec("name: defaults\n" + spec, in: dir)
        let plan = try Binary.run(["plan", path, "--json"])
        #expect(plan.status == 0, "\(plan.stderr)")
        let planned = try #require(try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [[String: Any]])
        #expect(planned.count == 1)
        let fromSpec = try #require(planned.first?["config"] as? NSDictionary)
        let train = try Binary.run(["train", "--print-config"] + options)
        #expect(train.status == 0, "\(train.stderr)")
        let fromTrain = try #require(try JSONSerialization.jsonObject(with: Data(train.stdout.utf8)) as? NSDictionary)
        #expect(fromSpec == fromTrain, "spec: \(fromSpec)\ntrain: \(fromTrain)")
    }

    /// `--where` is parsed strictly: a malformed expression is exit 2 naming it, never a query
    /// that quietly matches nothing.
    @Test func queryFiltersAreParsedStrictly() throws {
        let (_, results, spec) = try Sweeps.smokeSetup("where")
        #expect(try Sweeps.lipsweep(["run", spec, "--results", results.path]).status == 0)
        let query = { (filter: String) in try Binary.run(["query", "--results", results.path, "--where", filter, "--format", "csv"]) }
        for (filter, says) in [("qg=>0", "`=>` is not an operator"), ("qg >> 0", "`>>` is not an operator"),
                               ("qg 0", "no operator"), ("=0.1", "no column"), ("lr<=abc", "`abc` is not a number"),
                               ("state=runing", "did you mean `running`?"), ("regularizer=spectral", "is one of"),
                               ("lr_within_bound=maybe", "true or false"), ("qgg>0", "no such column; did you mean `qg`?"),
                               ("lr<", "no value after <")] {
            let r = try query(filter)
            #expect(r.status == 2, "\(filter): \(r.stdout)")
            #expect(r.stderr.contains("--where \(filter)") || r.stderr.contains("--where qgg"), "\(filter): \(r.stderr)")
            #expect(r.stderr.contains(says), "\(filter): \(r.stderr)")
        }
        let hinge = try query("regularizer=hinge")
        #expect(hinge.status == 0)
        #expect(hinge.stdout.split(separator: "\n").count == 3, "header + 2 hinge trials: \(hinge.stdout)")
        #expect(try query("state = completed").stdout.split(separator: "\n").count == 5)
        #expect(try query("lr>=0.003").stdout.split(separator: "\n").count == 3)
    }
}
