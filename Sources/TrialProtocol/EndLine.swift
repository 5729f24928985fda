import Foundation

/// The worker protocol's `end` line (docs/worker-protocol.md, "The lines"), the last line of a
/// trial that ended: completed or diverged, with the trainer's copies of the QG and 2/L
/// figures (informative: the scheduler recomputes them from the stored epochs). The trainer
/// writes it (`json`), the scheduler reads it (`parse`); `Key` is the one list of its fields.
public struct EndLine: Codable, Equatable, Sendable {
    public enum State: String, Codable, Sendable { case completed, diverged }

    public var type = "end"
    public var state: State
    /// Epochs the trial ran.
    public var epochs: Int?
    /// The trainer's QG figures, each its own key of the line (their `reason` is not sent:
    /// the line's `error` says it).
    public var figures: QualityGainFigures
    public var error: String?
    /// The training step at which a diverged trial's loss left the finite range.
    public var divergedAtStep: Int?

    public enum Key: String, CodingKey {
        case type, state, epochs, qg, qgSlope = "qg_slope", l30 = "l_30", twoOverL30 = "two_over_l_30"
        case lrWithinBound = "lr_within_bound", twoOverM = "two_over_m", error, divergedAtStep = "diverged_at_step"
    }

    public init(state: State, epochs: Int? = nil, figures: QualityGainFigures = QualityGainFigures(), error: String? = nil,
                divergedAtStep: Int? = nil) {
        self.state = state; self.epochs = epochs; self.figures = figures; self.error = error; self.divergedAtStep = divergedAtStep
    }

    /// Absent and null both read as nil. Only `type` and `state` must be right; a figure of
    /// another type (a custom worker's) reads as nil, since the scheduler recomputes them all.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        type = try c.decode(String.self, forKey: .type)
        state = try c.decode(State.self, forKey: .state)
        epochs = try? c.decodeIfPresent(Int.self, forKey: .epochs)
        func number(_ key: Key) -> Double? { (try? c.decodeIfPresent(Double.self, forKey: key)) ?? nil }
        figures = QualityGainFigures(qg: number(.qg), qgSlope: number(.qgSlope), l30: number(.l30), twoOverL30: number(.twoOverL30),
                                     lrWithinBound: (try? c.decodeIfPresent(Bool.self, forKey: .lrWithinBound)) ?? nil,
                                     twoOverM: number(.twoOverM))
        error = try? c.decodeIfPresent(String.self, forKey: .error)
        divergedAtStep = try? c.decodeIfPresent(Int.self, forKey: .divergedAtStep)
    }

    /// Every field written, absent ones and non-finite numbers as null (JSON has no NaN).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        func number(_ x: Double?, _ key: Key) throws {
            if let x, x.isFinite { try c.encode(x, forKey: key) } else { try c.encodeNil(forKey: key) }
        }
        try c.encode(type, forKey: .type)
        try c.encode(state, forKey: .state)
        if let epochs { try c.encode(epochs, forKey: .epochs) } else { try c.encodeNil(forKey: .epochs) }
        try number(figures.qg, .qg); try number(figures.qgSlope, .qgSlope); try number(figures.l30, .l30)
        try number(figures.twoOverL30, .twoOverL30)
        if let within = figures.lrWithinBound { try c.encode(within, forKey: .lrWithinBound) } else { try c.encodeNil(forKey: .lrWithinBound) }
        try number(figures.twoOverM, .twoOverM)
        if let error { try c.encode(error, forKey: .error) } else { try c.encodeNil(forKey: .error) }
        if let divergedAtStep { try c.encode(divergedAtStep, forKey: .divergedAtStep) } else { try c.encodeNil(forKey: .divergedAtStep) }
    }

    /// The line's JSON (one object, sorted keys, no newline). JSONEncoder writes doubles in
    /// their shortest round-trip form, so the reader gets the very numbers.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(self), as: UTF8.self)   // finite numbers, strings and nulls always encode
    }

    /// The line read back; nil when `text` is not an end line with a known state.
    public static func parse(_ text: String) -> EndLine? {
        guard let line = try? JSONDecoder().decode(EndLine.self, from: Data(text.utf8)), line.type == "end" else { return nil }
        return line
    }
}
