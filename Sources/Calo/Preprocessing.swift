import Foundation

/// Mean and standard deviation of the 5 conditions c = (px, py, pz, x0, y0) over a training
/// set (docs/science.md §2.2). Stored with the model, so generation later standardises the same way.
public struct ConditionStatistics: Codable, Sendable, Equatable {
    public static let dimension = 5
    public var mean: [Float]
    /// Population standard deviation (ddof 0, numpy.std's default).
    public var sd: [Float]

    public init(mean: [Float], sd: [Float]) {
        precondition(mean.count == Self.dimension && sd.count == Self.dimension, "ConditionStatistics needs 5 means and 5 sds")
        self.mean = mean
        self.sd = sd
    }

    /// Statistics of the raw conditions of `events` (computed in Double).
    public init(fitting events: CaloEvents) {
        let raw = Preprocessing.rawConditions(events)
        let n = Double(max(events.count, 1))
        var mean = [Double](repeating: 0, count: 5), square = [Double](repeating: 0, count: 5)
        for e in 0..<events.count {
            for d in 0..<5 { mean[d] += Double(raw[5 * e + d]) }
        }
        for d in 0..<5 { mean[d] /= n }
        for e in 0..<events.count {
            for d in 0..<5 { let x = Double(raw[5 * e + d]) - mean[d]; square[d] += x * x }
        }
        self.init(mean: mean.map { Float($0) }, sd: square.map { Float(($0 / n).squareRoot()) })
    }

    /// (c − mean)/sd per dimension, in place on an N×5 buffer. A dimension with zero spread
    /// is divided by 1 (it carries no information, and must not become NaN).
    public func standardise(_ conditions: UnsafeMutableBufferPointer<Float>) {
        for k in 0..<conditions.count {
            let d = k % 5
            conditions[k] = (conditions[k] - mean[d]) / (sd[d] > 0 ? sd[d] : 1)
        }
    }

    /// Standardised N×5 conditions of `events`.
    public func standardisedConditions(_ events: CaloEvents) -> [Float] {
        var c = Preprocessing.rawConditions(events)
        c.withUnsafeMutableBufferPointer { standardise($0) }
        return c
    }
}

/// The transforms between stored events and what the GAN sees (docs/science.md §2.2).
public enum Preprocessing {
    /// x = log(1 + E) per cell, from `energy` into `output` (same length). Negative cells
    /// (noise in some files) are treated as 0, so x ≥ 0 like the generator's inverse.
    public static func logTransform(_ energy: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>) {
        precondition(energy.count == output.count, "logTransform: buffers differ in length")
        for k in 0..<energy.count { output[k] = log1p(max(energy[k], 0)) }
    }

    /// log(1 + E) of every cell of `events` (N×900).
    public static func logTransform(_ events: CaloEvents) -> [Float] {
        var out = [Float](repeating: 0, count: events.energy.count)
        out.withUnsafeMutableBufferPointer { o in events.energy.withUnsafeBufferPointer { logTransform($0, into: o) } }
        return out
    }

    /// The inverse for generated events, in place: E = max(exp(x) − 1, 0), then cells below
    /// `threshold` (GeV; the readout cut, 0.01 for the simulated data) are set to 0 — a
    /// generator's faint haze of tiny positive cells would otherwise ruin the sparsity features.
    public static func inverseLogTransform(_ values: UnsafeMutableBufferPointer<Float>,
                                           threshold: Float = ShowerSimulator.readoutThreshold) {
        for k in 0..<values.count {
            let energy = max(expm1(values[k]), 0)
            values[k] = energy < threshold ? 0 : energy
        }
    }

    /// Array form of `inverseLogTransform(_:threshold:)`.
    public static func inverseLogTransform(_ values: [Float], threshold: Float = ShowerSimulator.readoutThreshold) -> [Float] {
        var out = values
        out.withUnsafeMutableBufferPointer { inverseLogTransform($0, threshold: threshold) }
        return out
    }

    /// The raw condition vectors c = (px, py, pz, x0, y0), N×5.
    public static func rawConditions(_ events: CaloEvents) -> [Float] {
        var c = [Float](repeating: 0, count: 5 * events.count)
        for e in 0..<events.count {
            c[5 * e] = events.momentum[3 * e]
            c[5 * e + 1] = events.momentum[3 * e + 1]
            c[5 * e + 2] = events.momentum[3 * e + 2]
            c[5 * e + 3] = events.point[2 * e]
            c[5 * e + 4] = events.point[2 * e + 1]
        }
        return c
    }
}
