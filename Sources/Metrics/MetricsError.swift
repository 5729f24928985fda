import UserErrors

/// Bad inputs to the metrics: a bad option value or a sample that cannot be scored.
/// These come from the user (`--clusters 0`, an empty or non-finite `.npz`), so they are
/// `UserInputError`s: the CLI prints the message and exits 2.
public enum MetricsError: UserInputError, Equatable {
    /// An option value out of range: name, value given, what is allowed.
    case invalidOption(name: String, value: String, allowed: String)
    /// A sample with no rows (name: "real", "generated", "data").
    case emptySample(String)
    /// Two samples with different feature counts.
    case dimensionMismatch(real: Int, generated: Int)
    /// Fewer events than a metric needs (the physics distances: 3 per sample).
    case tooFewEvents(sample: String, count: Int, needed: Int)
    /// A NaN or infinity in a sample; row and column are 0-based.
    case nonFiniteFeature(sample: String, row: Int, column: Int, value: Float)

    /// Throws `.invalidOption` naming the option when `ok` is false (the options' validation).
    static func check(_ ok: Bool, _ name: String, _ value: Any, _ allowed: String) throws(MetricsError) {
        if !ok { throw .invalidOption(name: name, value: "\(value)", allowed: allowed) }
    }

    public var description: String {
        switch self {
        case let .invalidOption(name, value, allowed):
            return "\(name): \(value) is out of range; use \(allowed)"
        case let .emptySample(name):
            return "\(name) sample: it has no events; give at least one event"
        case let .dimensionMismatch(real, generated):
            return "samples: real events have \(real) features but generated ones have \(generated); "
                + "compare samples of the same kind"
        case let .tooFewEvents(sample, count, needed):
            return "\(sample) sample: it has \(count) event\(count == 1 ? "" : "s"), the physics distances need at least \(needed); "
                + "give more events"
        case let .nonFiniteFeature(sample, row, column, value):
            return "\(sample) sample: event \(row), feature \(column) is \(value); "
                + "remove or fix events with non-finite values"
        }
    }
}
