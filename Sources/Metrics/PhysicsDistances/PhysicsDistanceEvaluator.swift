import Tensor

/// FPD, KPD, KID and per-feature W1 of generated samples against one real sample
/// (docs/science.md §6.1), for repeated use: the trainer scores every evaluated epoch's
/// generated events against the same held-out events.
///
/// Normalisation (jetnet's `_normalise_features`): FPD, KPD and KID see every feature of BOTH
/// samples divided by the REAL sample's max |value| of that feature (1 where that is 0), so
/// real features lie in [−1, 1]. W1 is taken in the features' own units.
///
/// What depends only on the real sample — the scale, the scaled real rows, each feature's
/// sorted real values — is computed once here; every other buffer is allocated on first use
/// and reused. Randomness: FPD draws from `SeededRandom(seed:, stream: 0xF9D)`, KPD/KID from
/// stream 0x6B9D, so a distance does not depend on which others are selected.
public final class PhysicsDistanceEvaluator {
    public let options: PhysicsDistanceOptions
    public let dimension: Int
    public let realRows: Int
    /// Per feature: max |x| over the real sample, or 1 where that is 0.
    public let scale: [Double]
    private let realScaled: [Double], realScaledSingle: [Float]
    /// d × N_real: feature j's real values ascending in row j (own units).
    private let realSorted: [Double]
    private let generatedScaled = ScratchBuffer<Double>(), generatedScaledSingle = ScratchBuffer<Float>()
    private let generatedColumn = ScratchBuffer<Double>()
    private let frechet: FrechetPhysicsDistance
    private let kernel: KernelPhysicsDistance
    /// Opt-in wall time per `PhysicsDistancePart` (`PhysicsDistancePart.times()`); nil: untimed.
    public var profile: PartTimes?

    public init(real: FeatureMatrix, options: PhysicsDistanceOptions = PhysicsDistanceOptions()) throws(MetricsError) {
        try options.validate()
        try Self.check(real, "real")
        self.options = options
        let n = real.rows, d = real.columns
        dimension = d
        realRows = n
        var scale = [Double](repeating: 0, count: d)
        for i in 0..<n {
            for j in 0..<d { scale[j] = max(scale[j], Double(abs(real.values[i * d + j]))) }
        }
        self.scale = scale.map { $0 == 0 ? 1 : $0 }
        realScaled = Self.scaled(real.values, scale: self.scale)
        realScaledSingle = realScaled.map { Float($0) }
        var sorted = [Double](repeating: 0, count: d * n)
        for j in 0..<d {
            for i in 0..<n { sorted[j * n + i] = Double(real.values[i * d + j]) }
            sorted[(j * n)..<((j + 1) * n)].sort()
        }
        realSorted = sorted
        frechet = FrechetPhysicsDistance(dimension: d)
        kernel = KernelPhysicsDistance(dimension: d)
    }

    /// The selected distances of `generated` against the real sample.
    public func evaluate(generated: FeatureMatrix, seed: UInt64,
                         selection: PhysicsDistanceSelection = .all) throws(MetricsError) -> PhysicsDistances {
        guard generated.columns == dimension else {
            throw .dimensionMismatch(real: dimension, generated: generated.columns)
        }
        try Self.check(generated, "generated")
        let n = generated.rows, d = dimension
        var result = PhysicsDistances()
        if !selection.isDisjoint(with: [.fpd, .kernel]) {
            let y = generatedScaled.reserve(n * d), ySingle = generatedScaledSingle.reserve(n * d)
            profile.measure(PhysicsDistancePart.scaling.rawValue) {
                for i in 0..<n {
                    for j in 0..<d {
                        y[i * d + j] = Double(generated.values[i * d + j]) / scale[j]
                        ySingle[i * d + j] = Float(y[i * d + j])
                    }
                }
            }
            if selection.contains(.fpd) {
                let sizes = options.fpdSampleSizes(realRows: realRows, generatedRows: n)
                var random = SeededRandom(seed: seed, stream: 0xF9D)
                result.fpd = profile.measure(PhysicsDistancePart.fpd.rawValue) {
                    realScaled.withUnsafeBufferPointer { x in
                        frechet.estimate(real: x.baseAddress!, realRows: realRows, generated: y, generatedRows: n,
                                         sizes: sizes, batches: options.fpdBatches, random: &random)
                    }
                }
            }
            if selection.contains(.kernel) {
                var random = SeededRandom(seed: seed, stream: 0x6B9D)
                let kernels = profile.measure(PhysicsDistancePart.kernel.rawValue) {
                    realScaledSingle.withUnsafeBufferPointer { x in
                        kernel.estimate(real: x.baseAddress!, realRows: realRows, generated: ySingle, generatedRows: n,
                                        batches: options.kernelBatches, batchSize: options.kernelBatchSize, random: &random)
                    }
                }
                result.kpd = kernels.kpd
                result.kid = kernels.kid
            }
        }
        if selection.contains(.w1) { result.w1 = profile.measure(PhysicsDistancePart.w1.rawValue) { wasserstein(generated) } }
        return result
    }

    /// W1 of every feature: the generated column sorted, merged with the real one.
    private func wasserstein(_ generated: FeatureMatrix) -> [Double] {
        let n = generated.rows, d = dimension
        let column = generatedColumn.reserve(n)
        return realSorted.withUnsafeBufferPointer { real in
            (0..<d).map { j in
                for i in 0..<n { column[i] = Double(generated.values[i * d + j]) }
                var sorted = UnsafeMutableBufferPointer(start: column, count: n)
                sorted.sort()
                return Wasserstein1.distance(sorted: UnsafeBufferPointer(rebasing: real[(j * realRows)..<((j + 1) * realRows)]),
                                             UnsafeBufferPointer(sorted))
            }
        }
    }

    private static func scaled(_ values: [Float], scale: [Double]) -> [Double] {
        let d = scale.count
        return values.indices.map { Double(values[$0]) / scale[$0 % d] }
    }

    /// Enough events, all finite.
    private static func check(_ sample: FeatureMatrix, _ name: String) throws(MetricsError) {
        guard sample.rows >= PhysicsDistances.minimumEvents else {
            throw .tooFewEvents(sample: name, count: sample.rows, needed: PhysicsDistances.minimumEvents)
        }
        if let bad = sample.firstNonFinite() {
            throw .nonFiniteFeature(sample: name, row: bad.row, column: bad.column, value: bad.value)
        }
    }
}

/// The parts of a distances evaluation `PhysicsDistanceEvaluator.profile` times.
public enum PhysicsDistancePart: Int, CaseIterable, Sendable {
    /// The generated features divided by the real sample's scale.
    case scaling
    case fpd
    /// KPD and KID (one set of kernel sums).
    case kernel
    case w1

    public static func times(clock: PartTimes.Clock = .wall) -> PartTimes {
        PartTimes(names: ["distances: scaling", "FPD", "KPD + KID", "W1 (54 features)"], clock: clock)
    }
}
