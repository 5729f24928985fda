import Foundation

/// The worker protocol's `histograms` line (docs/worker-protocol.md, "The histograms line"):
/// the soft-margin paper's Appendix C data (Figs. 9–13) for the generator after a completed
/// trial's last epoch — the four scalar physics features (docs/science.md §3) as histograms of
/// real and generated events over shared bins, and the mean sparsity curve of each. The trainer
/// writes it, the scheduler stores it (`histograms` table) and the report draws it.
public struct HistogramsLine: Codable, Equatable, Sendable {
    /// One feature: `edges` (bins + 1, from the real sample's 0.5–99.5 % range) and the counts
    /// of real and generated events per bin (out-of-range values in the end bins).
    public struct Feature: Codable, Equatable, Sendable {
        public var edges: [Double]
        public var real: [Int]
        public var generated: [Int]
        public init(edges: [Double], real: [Int], generated: [Int]) { self.edges = edges; self.real = real; self.generated = generated }
    }
    /// The mean fraction of cells with I ≥ α·E, per threshold α.
    public struct Sparsity: Codable, Equatable, Sendable {
        public var alpha: [Double]
        public var real: [Double]
        public var generated: [Double]
        public init(alpha: [Double], real: [Double], generated: [Double]) { self.alpha = alpha; self.real = real; self.generated = generated }
    }

    public var type = "histograms"
    public var epoch: Int
    public var realEvents: Int
    public var generatedEvents: Int
    public var asymAlong: Feature
    public var asymAcross: Feature
    public var widthAlong: Feature
    public var widthAcross: Feature
    public var sparsity: Sparsity

    enum CodingKeys: String, CodingKey {
        case type, epoch, realEvents = "real_events", generatedEvents = "generated_events", asymAlong = "asym_along"
        case asymAcross = "asym_across", widthAlong = "width_along", widthAcross = "width_across", sparsity
    }

    public init(epoch: Int, realEvents: Int, generatedEvents: Int, asymAlong: Feature, asymAcross: Feature, widthAlong: Feature,
                widthAcross: Feature, sparsity: Sparsity) {
        self.epoch = epoch; self.realEvents = realEvents; self.generatedEvents = generatedEvents
        self.asymAlong = asymAlong; self.asymAcross = asymAcross; self.widthAlong = widthAlong; self.widthAcross = widthAcross
        self.sparsity = sparsity
    }

    /// The four scalar features with their names, in feature order.
    public var features: [(name: String, histogram: Feature)] {
        [("asym_along", asymAlong), ("asym_across", asymAcross), ("width_along", widthAlong), ("width_across", widthAcross)]
    }

    /// The line's JSON (one object, no newline). JSONEncoder writes doubles exactly (shortest
    /// round-trip form), so the reader gets the very numbers.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(self), as: UTF8.self)   // numbers and strings always encode
    }

    /// The line read back; nil when `text` is not a histograms line.
    public static func parse(_ text: String) -> HistogramsLine? {
        guard let line = try? JSONDecoder().decode(HistogramsLine.self, from: Data(text.utf8)), line.type == "histograms" else { return nil }
        return line
    }
}
