/// `executor:` of a spec: where and how many workers run. `slurm` holds the cluster options
/// of the SLURM executor; the local executor ignores them. Codable: the effective settings
/// of a run (spec plus command-line overrides) are stored with the sweep, so `lipsweep sync`
/// resubmits with the settings `lipsweep run` used.
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

/// Where a sweep's trials run.
public enum ExecutorKind: String, Codable, CaseIterable, Sendable {
    /// Worker processes on this machine.
    case local
    /// Job arrays on a SLURM cluster, over a spool directory.
    case slurm
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
