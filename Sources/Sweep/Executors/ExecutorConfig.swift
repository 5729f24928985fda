import TrialProtocol

/// `executor:` of a spec: where and how many workers run. `slurm` holds the cluster options
/// of the SLURM executor; the local executor ignores them. Codable: the effective settings
/// of a run (spec plus command-line overrides) are stored with the sweep, so `lipsweep sync`
/// resubmits with the settings `lipsweep run` used. Every key is set through `ExecutorKeys`,
/// which holds their names, options, help, checks and defaults' meaning.
public struct ExecutorConfig: Equatable, Sendable, Codable {
    public var kind: ExecutorKind = .local
    public var workers: Int = 1              // worker processes at once (local)
    public var threads: Int = 1              // OpenBLAS threads per worker
    public var retries: Int = 2              // extra attempts after a worker dies
    public var backoffSeconds: Double = 1    // first retry's delay; doubles per attempt
    public var slurm = SlurmOptions()
    /// `executor.worker`: the program (and its first arguments) a trial runs instead of the
    /// embedded trainer, paths already resolved against the spec's directory; nil: `lipsweep
    /// train` (or LIPSWEEP_WORKER). The scheduler appends `train --config … --checkpoint-dir …
    /// --threads … [--resume]` (docs/worker-protocol.md).
    public var worker: [String]?
    /// The files the run keeps up to date (`output:`), stored with these settings for `sync`.
    public var output = OutputConfig()

    public init() {}

    enum CodingKeys: String, CodingKey { case kind, workers, threads, retries, backoffSeconds, slurm, output, worker }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(ExecutorKind.self, forKey: .kind)
        workers = try c.decode(Int.self, forKey: .workers)
        threads = try c.decode(Int.self, forKey: .threads)
        retries = try c.decode(Int.self, forKey: .retries)
        backoffSeconds = try c.decode(Double.self, forKey: .backoffSeconds)
        slurm = try c.decode(SlurmOptions.self, forKey: .slurm)
        // Settings stored before `output` existed have none.
        output = try c.decodeIfPresent(OutputConfig.self, forKey: .output) ?? OutputConfig()
        // … and none stored before `worker` existed.
        worker = try c.decodeIfPresent([String].self, forKey: .worker)
    }
}

/// Where a sweep's trials run: the name of a registered executor kind (ExecutorKinds).
public struct ExecutorKind: RawRepresentable, Hashable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
    /// Worker processes on this machine.
    public static let local = ExecutorKind(rawValue: "local")
    /// Job arrays on a SLURM cluster, over a spool directory.
    public static let slurm = ExecutorKind(rawValue: "slurm")
}

public struct SlurmOptions: Equatable, Sendable, Codable {
    public var partition: String?            // sbatch --partition
    public var time: String?                 // sbatch --time (per array task)
    public var account: String?              // sbatch --account
    public var cpusPerTask: Int?             // sbatch --cpus-per-task (default: executor.threads)
    public var mem: String?                  // sbatch --mem
    public var gpusPerTask: Int?             // sbatch --gres=gpu:N (a trainer of the user's own on GPUs)
    public var arrayThrottle: Int?           // --array=…%N: tasks of one submission running at once
    public var extraFlags: [String] = []     // any other sbatch options, verbatim
    public var spool: String?                // the spool directory (default RESULTS/spool/<sweep>)
    public var pollSeconds: Double = 5       // squeue polling interval of an attached run / sync --wait
    public init() {}
}

/// One value of an executor key, from a spec or a command line.
public enum ExecutorValue: Sendable, Equatable {
    case integer(Int), number(Double), text(String), texts([String])
}

/// One key of `executor:` and its `lipsweep run` option: its name in the spec (`workers`,
/// `slurm.partition`), the option (`--partition`), help, the executor kind it belongs to (nil:
/// every kind), its type and range, and how it sets the settings.
public struct ExecutorKey: Sendable {
    public enum ValueKind: Sendable { case integer(min: Int), number(above: Double, orEqual: Bool), text, texts, kind }

    public let name: String
    public let option: String
    public let help: String
    public let owner: ExecutorKind?
    public let kind: ValueKind
    let assign: @Sendable (inout ExecutorConfig, ExecutorValue) -> Void

    /// The checked value; the problem says what is wrong, without the place.
    public func check(_ value: ExecutorValue) throws(ValueProblem) -> ExecutorValue {
        switch (kind, value) {
        case let (.integer(min), .integer(i)):
            guard i >= min else {
                throw ValueProblem(min == 0 ? "cannot be negative, found \(i)" : "must be at least \(min), found \(i)", fix: "give a whole number ≥ \(min)")
            }
        case let (.number(above, orEqual), .number(x)):
            guard x.isFinite, orEqual ? x >= above : x > above else {
                throw ValueProblem(orEqual ? "cannot be negative, found \(x)" : "must be positive, found \(x)",
                                   fix: orEqual ? "give seconds ≥ 0" : "give seconds > 0, e.g. 10")
            }
        case let (.kind, .text(name)):
            guard ExecutorKinds.named(ExecutorKind(rawValue: name)) != nil else {
                let names = ExecutorKinds.all.map { $0.kind.rawValue }
                throw ValueProblem("`\(name)` is not one of \(names.joined(separator: ", "))", fix: "choose one of \(names.joined(separator: ", "))")
            }
        case (.text, .text), (.texts, .texts): break
        default: throw ValueProblem("expected \(kind)", fix: "see `lipsweep run --help`")
        }
        return value
    }

    public func apply(_ value: ExecutorValue, to config: inout ExecutorConfig) { assign(&config, value) }
}

/// Every key of `executor:`, the one table the spec reader, `lipsweep run`'s options and
/// their checks go through.
public enum ExecutorKeys {
    public static let all: [ExecutorKey] = [
        key("kind", "executor", "Where trials run: \(ExecutorKinds.all.map { $0.kind.rawValue }.joined(separator: " | ")) (overrides executor.kind).", .kind) {
            $0.kind = ExecutorKind(rawValue: $1.text)
        },
        key("workers", "workers", "Worker processes at once (overrides executor.workers).", .integer(min: 1)) { $0.workers = $1.int },
        key("threads", "threads", "OpenBLAS threads per worker (overrides executor.threads).", .integer(min: 1)) { $0.threads = $1.int },
        key("retries", "retries", "Extra attempts after a worker dies (overrides executor.retries).", .integer(min: 0)) { $0.retries = $1.int },
        key("backoff_seconds", "backoff-seconds", "First retry's delay in seconds, doubling per attempt (overrides executor.backoff_seconds).",
            .number(above: 0, orEqual: true)) { $0.backoffSeconds = $1.double },
        key("slurm.partition", "partition", "sbatch --partition.", .text, owner: .slurm) { $0.slurm.partition = $1.text },
        key("slurm.time", "time", "sbatch --time, per trial (e.g. 2:00:00).", .text, owner: .slurm) { $0.slurm.time = $1.text },
        key("slurm.account", "account", "sbatch --account.", .text, owner: .slurm) { $0.slurm.account = $1.text },
        key("slurm.cpus_per_task", "cpus-per-task", "sbatch --cpus-per-task (default: the threads per worker).", .integer(min: 1), owner: .slurm) {
            $0.slurm.cpusPerTask = $1.int
        },
        key("slurm.mem", "mem", "sbatch --mem (e.g. 4G).", .text, owner: .slurm) { $0.slurm.mem = $1.text },
        key("slurm.gpus_per_task", "gpus-per-task", "GPUs per trial: sbatch --gres=gpu:N (a trainer of your own, executor.worker).",
            .integer(min: 1), owner: .slurm) { $0.slurm.gpusPerTask = $1.int },
        key("slurm.array_throttle", "array-throttle", "Tasks of one job array running at once (--array=…%N).", .integer(min: 1), owner: .slurm) {
            $0.slurm.arrayThrottle = $1.int
        },
        key("slurm.extra_flags", "sbatch-flag", "Another sbatch option, verbatim (repeatable): --sbatch-flag=--qos=long.", .texts, owner: .slurm) {
            $0.slurm.extraFlags += $1.texts
        },
        key("slurm.spool", "spool", "Spool directory on a filesystem the nodes share (default RESULTS/spool/SWEEP).", .text, owner: .slurm) {
            $0.slurm.spool = $1.text
        },
        key("slurm.poll_seconds", "poll-seconds", "Seconds between squeue polls while attached.", .number(above: 0, orEqual: false), owner: .slurm) {
            $0.slurm.pollSeconds = $1.double
        },
    ]

    public static func named(_ name: String) -> ExecutorKey? { all.first { $0.name == name } }
    public static func option(_ option: String) -> ExecutorKey? { all.first { $0.option == option } }
    /// The help of an option (`lipsweep run --help`).
    public static func help(_ option: String) -> String { self.option(option)!.help }

    /// Sets `config` from command-line values (nil: not given), each checked by its key;
    /// a problem names the option.
    public static func apply(options: [(option: String, value: ExecutorValue?)], to config: inout ExecutorConfig) throws(OptionProblem) {
        for case let (option, value?) in options {
            let key = self.option(option)!
            do { key.apply(try key.check(value), to: &config) } catch {
                throw OptionProblem(option: option, problem: error.problem, fix: error.fix)
            }
        }
    }

    private static func key(_ name: String, _ option: String, _ help: String, _ kind: ExecutorKey.ValueKind, owner: ExecutorKind? = nil,
                            _ assign: @escaping @Sendable (inout ExecutorConfig, ExecutorValue) -> Void) -> ExecutorKey {
        ExecutorKey(name: name, option: option, help: help, owner: owner, kind: kind, assign: assign)
    }
}

/// A command-line option's value that cannot be used: `--option: problem; fix`.
public struct OptionProblem: Error, CustomStringConvertible {
    public let option: String, problem: String, fix: String
    public var description: String { "--\(option) \(problem); \(fix)" }
}

extension ExecutorValue {
    var int: Int { if case let .integer(i) = self { i } else { preconditionFailure("not an integer: \(self)") } }
    var double: Double { if case let .number(x) = self { x } else { preconditionFailure("not a number: \(self)") } }
    var text: String { if case let .text(s) = self { s } else { preconditionFailure("not a text: \(self)") } }
    var texts: [String] { if case let .texts(l) = self { l } else { preconditionFailure("not a list: \(self)") } }
}
