import Foundation

/// A grid axis is a single value, a list, or a helper: `{logspace: [start, stop, count]}`
/// (geometric, endpoints included; start and stop are the values, not exponents) or
/// `{linspace: [start, stop, count]}` (arithmetic, endpoints included).
func gridNumbers(_ located: Located) throws -> [Double] {
    if case .mapping = located.node {
        let entries = try located.mapping(allowed: ["logspace", "linspace"])
        guard entries.count == 1, let (helper, args) = entries.first else {
            throw located.error("give exactly one of logspace or linspace", fix: "e.g. {logspace: [1e-4, 1e-2, 5]}")
        }
        let parts = args.items
        guard case .sequence = args.node, parts.count == 3 else {
            throw args.error("expected [start, stop, count]", fix: "e.g. {\(helper): [1e-4, 1e-2, 5]}")
        }
        let start = try parts[0].double(), stop = try parts[1].double(), count = try parts[2].positiveInt()
        if helper == "logspace" {
            guard start > 0, stop > 0 else {
                throw args.error("logspace needs positive start and stop", fix: "give the values themselves, e.g. [1e-4, 1e-2, 5]")
            }
            return logspace(start, stop, count)
        }
        return linspace(start, stop, count)
    }
    let values = try located.nonEmptyItems(what: "value").map { try $0.double() }
    try refuseRepeats(values.map { "\($0)" }, located)
    return values
}

func gridWords(_ located: Located, choices: [String]) throws -> [String] {
    let values = try located.nonEmptyItems(what: "of \(choices.joined(separator: ", "))").map { try $0.choice(choices) }
    try refuseRepeats(values, located)
    return values
}

private func refuseRepeats(_ values: [String], _ located: Located) throws {
    var seen = Set<String>()
    for (value, item) in zip(values, located.items) where !seen.insert(value).inserted {
        throw item.error("`\(value)` is listed twice", fix: "list each value once")
    }
}

/// `count` values from start to stop, equally spaced in log: start·(stop/start)^(i/(count−1)).
public func logspace(_ start: Double, _ stop: Double, _ count: Int) -> [Double] {
    guard count > 1 else { return [start] }
    let ratio = log(stop / start)
    return (0..<count).map { roundSignificant(start * exp(ratio * Double($0) / Double(count - 1))) }
}

/// `count` values from start to stop, equally spaced: start + (stop − start)·i/(count−1).
public func linspace(_ start: Double, _ stop: Double, _ count: Int) -> [Double] {
    guard count > 1 else { return [start] }
    return (0..<count).map { roundSignificant(start + (stop - start) * Double($0) / Double(count - 1)) }
}

/// 12 significant digits, so logspace(1e-4, 1e-2, 3)[1] is exactly the double 0.001 and the
/// config hash does not depend on the last bit of exp/log.
func roundSignificant(_ x: Double) -> Double {
    Double(String(format: "%.12g", x)) ?? x
}
