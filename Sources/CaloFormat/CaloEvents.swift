/// Geometry of the ECAL images (docs/science.md §2): 30×30 cells of 2×2 cm; row i is y, column j is x.
/// Cell centres in cell units are x_j = −14.5 + j, y_i = −14.5 + i.
public enum CaloGrid {
    public static let side = 30
    public static let cells = side * side
    /// Centre of column j (x) or row i (y) in cell units.
    @inline(__always) public static func centre(_ index: Int) -> Float { Float(index) - 14.5 }
}

/// N calorimeter events in three contiguous row-major arrays, the layout of the LHCb files:
/// - `energy`:   N×30×30 cell energies in GeV (event e, row i = y, column j = x at
///               `e*900 + i*30 + j`),
/// - `momentum`: N×3 (px, py, pz) in GeV, pz > 0,
/// - `point`:    N×2 (x0, y0) entry point on the calorimeter face, cell units.
public struct CaloEvents: Sendable, Equatable {
    public var energy: [Float]
    public var momentum: [Float]
    public var point: [Float]

    public var count: Int { momentum.count / 3 }

    /// Takes the three arrays; their lengths must agree on one event count N.
    public init(energy: [Float], momentum: [Float], point: [Float]) {
        precondition(momentum.count % 3 == 0 && point.count % 2 == 0
                     && energy.count == momentum.count / 3 * CaloGrid.cells
                     && point.count / 2 == momentum.count / 3,
                     "CaloEvents: arrays disagree on the event count")
        self.energy = energy
        self.momentum = momentum
        self.point = point
    }

    /// N zero events, to be filled in place.
    public init(zeros count: Int) {
        energy = [Float](repeating: 0, count: count * CaloGrid.cells)
        momentum = [Float](repeating: 0, count: count * 3)
        point = [Float](repeating: 0, count: count * 2)
    }

    /// The events at `range`, copied into a new value.
    public func slice(_ range: Range<Int>) -> CaloEvents {
        CaloEvents(energy: Array(energy[range.lowerBound * CaloGrid.cells ..< range.upperBound * CaloGrid.cells]),
                   momentum: Array(momentum[range.lowerBound * 3 ..< range.upperBound * 3]),
                   point: Array(point[range.lowerBound * 2 ..< range.upperBound * 2]))
    }

    /// Total deposited energy Σ I of event e.
    public func totalEnergy(_ e: Int) -> Float {
        var s: Float = 0
        for k in e * CaloGrid.cells ..< (e + 1) * CaloGrid.cells { s += energy[k] }
        return s
    }

    /// |p| of event e.
    public func momentumMagnitude(_ e: Int) -> Float {
        let px = momentum[3 * e], py = momentum[3 * e + 1], pz = momentum[3 * e + 2]
        return (px * px + py * py + pz * pz).squareRoot()
    }
}
