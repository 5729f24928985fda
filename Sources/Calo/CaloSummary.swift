import Foundation

/// What a user wants to know first about a data file (`lipsweep inspect`): sizes, ranges,
/// energy totals and the mean physics features.
public struct CaloSummary: Sendable {
    /// Minimum, maximum, mean and standard deviation (ddof 0) of one quantity.
    public struct Stats: Sendable, Equatable {
        public var min: Double, max: Double, mean: Double, sd: Double

        init(_ values: some Collection<Double>) {
            guard !values.isEmpty else { self.init(min: 0, max: 0, mean: 0, sd: 0); return }
            var lo = Double.infinity, hi = -Double.infinity, sum = 0.0
            for v in values { lo = Swift.min(lo, v); hi = Swift.max(hi, v); sum += v }
            let mean = sum / Double(values.count)
            let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
            self.init(min: lo, max: hi, mean: mean, sd: variance.squareRoot())
        }

        public init(min: Double, max: Double, mean: Double, sd: Double) {
            self.min = min; self.max = max; self.mean = mean; self.sd = sd
        }
    }

    public var events: Int
    /// Single cell energies (GeV) over all events and cells.
    public var cellEnergy: Stats
    /// Total energy Σ I per event (GeV).
    public var totalEnergy: Stats
    /// Σ I / |p| per event (the calorimeter response), over events with |p| > 0.
    public var response: Stats
    /// Cells with I > 0 per event.
    public var nonZeroCells: Stats
    public var momentumMagnitude: Stats
    public var px: Stats, py: Stats, pz: Stats
    public var x0: Stats, y0: Stats
    /// Events with Σ I ≤ 0: their features are defined as 0.
    public var zeroEnergyEvents: Int
    /// Mean of each of the 54 features over the events with energy (order of `PhysicsFeatures.names`).
    public var meanFeatures: [Double]
    public var zOffset: Float

    public init(_ e: CaloEvents, zOffset: Float = PhysicsFeatures.defaultZOffset) {
        let n = e.count
        events = n
        cellEnergy = Stats(e.energy.lazy.map(Double.init))
        let totals = (0..<n).map { Double(e.totalEnergy($0)) }
        let magnitudes = (0..<n).map { Double(e.momentumMagnitude($0)) }
        totalEnergy = Stats(totals)
        response = Stats((0..<n).filter { magnitudes[$0] > 0 }.map { totals[$0] / magnitudes[$0] })
        nonZeroCells = Stats((0..<n).map { k in
            Double(e.energy[k * CaloGrid.cells ..< (k + 1) * CaloGrid.cells].reduce(0) { $1 > 0 ? $0 + 1 : $0 })
        })
        momentumMagnitude = Stats(magnitudes)
        px = Stats((0..<n).map { Double(e.momentum[3 * $0]) })
        py = Stats((0..<n).map { Double(e.momentum[3 * $0 + 1]) })
        pz = Stats((0..<n).map { Double(e.momentum[3 * $0 + 2]) })
        x0 = Stats((0..<n).map { Double(e.point[2 * $0]) })
        y0 = Stats((0..<n).map { Double(e.point[2 * $0 + 1]) })
        let (features, zero) = PhysicsFeatures.compute(e, zOffset: zOffset)
        zeroEnergyEvents = zero
        var mean = [Double](repeating: 0, count: PhysicsFeatures.count)
        let counted = Double(max(n - zero, 1))
        for k in 0..<n where totals[k] > 0 {
            for f in 0..<PhysicsFeatures.count { mean[f] += Double(features[k * PhysicsFeatures.count + f]) / counted }
        }
        meanFeatures = mean
        self.zOffset = zOffset
    }
}
