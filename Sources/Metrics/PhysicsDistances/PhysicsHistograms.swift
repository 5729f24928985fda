import Calo

/// One physics feature histogrammed for generated against real events on shared bins.
public struct FeatureHistogram: Codable, Sendable, Equatable {
    /// The feature's short name (`asym_along`, `asym_across`, `width_along`, `width_across`).
    public var name: String
    /// bins + 1 ascending edges.
    public var edges: [Double]
    /// Events per bin; values below the first edge count in the first bin, above the last in
    /// the last one, so every event is counted.
    public var real: [Int]
    public var generated: [Int]
}

/// The data of the soft-margin paper's Appendix C (Figs. 9–13): histograms of the four scalar
/// physics features and the mean sparsity curve, generated against real.
public struct PhysicsHistograms: Codable, Sendable, Equatable {
    public var realEvents: Int
    public var generatedEvents: Int
    /// asymmetry along, asymmetry across, width along, width across.
    public var features: [FeatureHistogram]
    /// The 50 sparsity thresholds α_k (PhysicsFeatures.sparsityThresholds).
    public var sparsityThresholds: [Double]
    /// Mean over events of sparsity_k = #{cells : I ≥ α_k·E}/900, real and generated.
    public var realSparsity: [Double]
    public var generatedSparsity: [Double]

    /// Short names of the four scalar features, in PhysicsFeatures order (also the suffixes of
    /// the epoch columns w1_asym_along, …).
    public static let scalarNames = ["asym_along", "asym_across", "width_along", "width_across"]
}

/// Bins fixed by the real sample — for each scalar feature `bins` equal bins between its
/// `lowerQuantile` and `upperQuantile` (numpy's linear quantiles; default 40 bins over the
/// 0.5–99.5 % range, so a few outliers do not squeeze the bulk into one bin) — and the real
/// side of every histogram, computed once; `histograms(generated:)` adds a generated sample.
/// A feature whose quantile range is empty (constant in the real sample) gets the range
/// value ± 0.5.
public struct PhysicsHistogramBinning: Sendable {
    public let bins: Int
    public let edges: [[Double]]
    private let real: FeatureMatrix
    private let realCounts: [[Int]]
    private let realSparsity: [Double]

    public init(real: FeatureMatrix, bins: Int = 40, lowerQuantile: Double = 0.005, upperQuantile: Double = 0.995) {
        precondition(real.columns == PhysicsFeatures.count && real.rows > 0 && bins >= 1,
                     "PhysicsHistogramBinning: needs events with the \(PhysicsFeatures.count) physics features")
        self.bins = bins
        self.real = real
        edges = (0..<PhysicsHistograms.scalarNames.count).map { j in
            let sorted = (0..<real.rows).map { Double(real.values[$0 * real.columns + j]) }.sorted()
            var low = DistanceEstimate.quantile(sorted, lowerQuantile), high = DistanceEstimate.quantile(sorted, upperQuantile)
            if !(high > low) { (low, high) = (low - 0.5, low + 0.5) }
            return (0...bins).map { low + (high - low) * Double($0) / Double(bins) }
        }
        realCounts = Self.counts(real, edges: edges)
        realSparsity = Self.meanSparsity(real)
    }

    /// The histograms of `generated` (N×54 physics features) against the real sample.
    public func histograms(generated: FeatureMatrix) -> PhysicsHistograms {
        precondition(generated.columns == PhysicsFeatures.count)
        let generatedCounts = Self.counts(generated, edges: edges)
        let features = PhysicsHistograms.scalarNames.indices.map { j in
            FeatureHistogram(name: PhysicsHistograms.scalarNames[j], edges: edges[j], real: realCounts[j],
                             generated: generatedCounts[j])
        }
        return PhysicsHistograms(realEvents: real.rows, generatedEvents: generated.rows, features: features,
                                 sparsityThresholds: PhysicsFeatures.sparsityThresholds, realSparsity: realSparsity,
                                 generatedSparsity: Self.meanSparsity(generated))
    }

    /// Per scalar feature, events per bin; out-of-range values in the end bins, NaN nowhere.
    private static func counts(_ sample: FeatureMatrix, edges: [[Double]]) -> [[Int]] {
        edges.indices.map { j in
            let low = edges[j][0], high = edges[j][edges[j].count - 1], bins = edges[j].count - 1
            var counts = [Int](repeating: 0, count: bins)
            for i in 0..<sample.rows {
                let v = Double(sample.values[i * sample.columns + j])
                guard !v.isNaN else { continue }
                let position = (v - low) / (high - low) * Double(bins)
                counts[position <= 0 ? 0 : position >= Double(bins) ? bins - 1 : Int(position)] += 1
            }
            return counts
        }
    }

    /// Mean of each of the 50 sparsity features over the sample's events.
    private static func meanSparsity(_ sample: FeatureMatrix) -> [Double] {
        let first = PhysicsFeatures.count - PhysicsFeatures.sparsityLevels
        return (0..<PhysicsFeatures.sparsityLevels).map { k in
            var sum = 0.0
            for i in 0..<sample.rows { sum += Double(sample.values[i * sample.columns + first + k]) }
            return sample.rows > 0 ? sum / Double(sample.rows) : 0
        }
    }
}
