import Metrics
import TrialProtocol

/// The protocol's `histograms` line (TrialProtocol's HistogramsLine): the soft-margin paper's
/// Appendix C data for the generator after the last epoch, sent once before the `end` line.
extension PhysicsHistograms {
    public func line(epoch: Int) -> HistogramsLine {
        func feature(_ name: String) -> HistogramsLine.Feature {
            let f = features.first { $0.name == name }!
            return HistogramsLine.Feature(edges: f.edges, real: f.real, generated: f.generated)
        }
        return HistogramsLine(epoch: epoch, realEvents: realEvents, generatedEvents: generatedEvents,
                              asymAlong: feature("asym_along"), asymAcross: feature("asym_across"),
                              widthAlong: feature("width_along"), widthAcross: feature("width_across"),
                              sparsity: .init(alpha: sparsityThresholds, real: realSparsity, generated: generatedSparsity))
    }

    /// One JSON object, no newline.
    public func jsonLine(epoch: Int) -> String { line(epoch: epoch).json }
}
