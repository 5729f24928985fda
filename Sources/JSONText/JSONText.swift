import Foundation

/// JSON text written by hand, shared by both sides of the worker protocol (the trainer's lines
/// and the orchestrator's exports). Foundation's JSONSerialization on Linux rounds doubles to
/// 15–16 digits; Swift's description of a Double is the shortest string that round-trips, so
/// stored and exported numbers are exactly the worker's.
public enum JSONText {
    /// A finite number as its shortest round-trip form; nil and non-finite values as `null`
    /// (JSON has no NaN or ∞).
    public static func number(_ x: Double?) -> String {
        guard let x, x.isFinite else { return "null" }
        return "\(x)"
    }

    /// A quoted JSON string with the escapes RFC 8259 requires; nil as `null`.
    public static func string(_ s: String?) -> String {
        guard let s else { return "null" }
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
