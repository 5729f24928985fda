/// Settings of the physics distances (docs/science.md §6.1). The defaults are the reference's
/// (jetnet; Kansal et al. 2023) scaled to the sample: FPD at 10 sizes, 20 draws each, from
/// 0.4·n_max to n_max = the smaller sample's size (jetnet: 20,000…50,000 for 50,000 events);
/// KPD and KID over 10 draws of min(5,000, N) events.
public struct PhysicsDistanceOptions: Codable, Sendable, Equatable {
    /// FPD: subsample sizes, evenly spaced in 1/N.
    public var fpdPoints: Int
    /// FPD: draws averaged per size.
    public var fpdBatches: Int
    /// FPD: smallest size n_min; nil = ⌊0.4·n_max⌋ (at least 2).
    public var fpdMinimumSize: Int?
    /// FPD: largest size n_max; nil = the smaller sample's size.
    public var fpdMaximumSize: Int?
    /// KPD/KID: draws (their median is the value).
    public var kernelBatches: Int
    /// KPD/KID: events per draw, capped at the smaller sample's size.
    public var kernelBatchSize: Int

    public init(fpdPoints: Int = 10, fpdBatches: Int = 20, fpdMinimumSize: Int? = nil, fpdMaximumSize: Int? = nil,
                kernelBatches: Int = 10, kernelBatchSize: Int = 5000) {
        self.fpdPoints = fpdPoints
        self.fpdBatches = fpdBatches
        self.fpdMinimumSize = fpdMinimumSize
        self.fpdMaximumSize = fpdMaximumSize
        self.kernelBatches = kernelBatches
        self.kernelBatchSize = kernelBatchSize
    }

    /// Throws on the first value out of range, naming it.
    public func validate() throws(MetricsError) {
        let check = MetricsError.check
        try check(fpdPoints >= 3, "FPD points", fpdPoints, "an integer ≥ 3 (a line and its error need 3 points)")
        try check(fpdBatches >= 1, "FPD batches", fpdBatches, "an integer ≥ 1")
        if let n = fpdMinimumSize { try check(n >= 2, "FPD minimum size", n, "an integer ≥ 2") }
        if let n = fpdMaximumSize {
            try check(n > max(2, fpdMinimumSize ?? 2), "FPD maximum size", n, "an integer above the minimum size (and ≥ 3)")
        }
        try check(kernelBatches >= 1, "KPD batches", kernelBatches, "an integer ≥ 1")
        try check(kernelBatchSize >= 2, "KPD batch size", kernelBatchSize, "an integer ≥ 2")
    }

    /// FPD's subsample sizes for samples of `realRows` and `generatedRows` events (≥ 3 each),
    /// as jetnet computes them: ⌊1/x_k⌋ for x = numpy.linspace(1/n_min, 1/n_max, points)
    /// (start + k·step, the last one exactly 1/n_max). For 2,000 events: 800, 857, 923, 1000,
    /// 1090, 1200, 1333, 1499, 1714, 2000.
    public func fpdSampleSizes(realRows: Int, generatedRows: Int) -> [Int] {
        let maximum = fpdMaximumSize ?? min(realRows, generatedRows)
        let minimum = fpdMinimumSize ?? max(2, Int((0.4 * Double(maximum)).rounded(.down)))
        let start = 1 / Double(minimum), stop = 1 / Double(maximum)
        let step = (stop - start) / Double(fpdPoints - 1)
        // max(2, ·): a covariance needs two rows, whatever rounding does to 1/(1/2).
        return (0..<fpdPoints).map { k in max(2, Int(1 / (k == fpdPoints - 1 ? stop : Double(k) * step + start))) }
    }
}

/// Which distances to compute (`lipsweep evaluate --metrics`). KPD and KID share their kernel
/// products, so asking for either computes both.
public struct PhysicsDistanceSelection: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public static let fpd = PhysicsDistanceSelection(rawValue: 1)
    public static let kernel = PhysicsDistanceSelection(rawValue: 2)
    public static let w1 = PhysicsDistanceSelection(rawValue: 4)
    public static let all: PhysicsDistanceSelection = [.fpd, .kernel, .w1]
}
