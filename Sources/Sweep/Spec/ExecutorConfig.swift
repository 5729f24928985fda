/// `executor:` of a spec: where and how many workers run. `slurm` holds the cluster options
/// (issue 7 drives them); the local executor ignores them.
public struct ExecutorConfig: Equatable, Sendable {
    public var kind: String = "local"        // local | slurm
    public var workers: Int = 1              // worker processes at once
    public var threads: Int = 1              // OpenBLAS threads per worker
    public var retries: Int = 2              // extra attempts after a worker dies
    public var backoffSeconds: Double = 1    // first retry's delay; doubles per attempt
    public var slurm = SlurmOptions()

    public init() {}

    public static let kinds = ["local", "slurm"]
}

public struct SlurmOptions: Equatable, Sendable {
    public var partition: String?
    public var time: String?
    public var account: String?
    public var cpusPerTask: Int?
    public var mem: String?
    public var arrayThrottle: Int?
    public var extraFlags: [String] = []
    public init() {}
}
