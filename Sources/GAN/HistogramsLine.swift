import Metrics

/// The protocol's `histograms` line (docs/worker-protocol.md): the soft-margin paper's
/// Appendix C data for the generator after the last epoch, sent once before the `end` line.
extension PhysicsHistograms {
    /// One JSON object, no newline:
    /// {"type":"histograms","epoch":N,"real_events":R,"generated_events":G,
    ///  "asym_along":{"edges":[41],"real":[40],"generated":[40]}, … asym_across, width_along, width_across,
    ///  "sparsity":{"alpha":[50],"real":[50],"generated":[50]}}
    public func jsonLine(epoch: Int) -> String {
        func numbers(_ values: [Double]) -> String { "[" + values.map { JSONNumber.format($0) }.joined(separator: ",") + "]" }
        func counts(_ values: [Int]) -> String { "[" + values.map(String.init).joined(separator: ",") + "]" }
        var fields: [(String, String)] = [("type", "\"histograms\""), ("epoch", "\(epoch)"),
                                          ("real_events", "\(realEvents)"), ("generated_events", "\(generatedEvents)")]
        for feature in features {
            fields.append((feature.name, JSONNumber.object([("edges", numbers(feature.edges)), ("real", counts(feature.real)),
                                                            ("generated", counts(feature.generated))])))
        }
        fields.append(("sparsity", JSONNumber.object([("alpha", numbers(sparsityThresholds)), ("real", numbers(realSparsity)),
                                                      ("generated", numbers(generatedSparsity))])))
        return JSONNumber.object(fields)
    }
}
