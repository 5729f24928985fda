import Foundation
import Testing
import Calo

/// The 54 features of docs/science.md §3 on events whose answers can be computed by hand.
@Suite struct PhysicsFeaturesTests {
    /// One event with the given cells (row i = y, column j = x) and conditions.
    static func event(_ cells: [(i: Int, j: Int, energy: Float)], momentum: [Float] = [0, 0, 10],
                      point: [Float] = [0, 0]) -> CaloEvents {
        var e = CaloEvents(zeros: 1)
        for c in cells { e.energy[c.i * 30 + c.j] = c.energy }
        e.momentum = momentum
        e.point = point
        return e
    }

    static func features(_ e: CaloEvents, zOffset: Float = 7) -> [Float] {
        PhysicsFeatures.compute(e, zOffset: zOffset).values
    }

    @Test func thresholdsAreNumpyLogspace() {
        let alpha = PhysicsFeatures.sparsityThresholds
        #expect(alpha.count == 50 && alpha[0] == 1e-5 && alpha[49] == 1)
        #expect(abs(alpha[1] / alpha[0] - pow(10, 5.0 / 49)) < 1e-12)
        #expect(PhysicsFeatures.names.count == PhysicsFeatures.count)
    }

    @Test func singleHotCellHasZeroWidthAndOneCellAtEveryThreshold() {
        // All energy in one cell: widths 0; exactly 1 of 900 cells has I ≥ α·E for every α ≤ 1.
        let f = Self.features(Self.event([(i: 20, j: 9, energy: 3.7)]))
        #expect(f.count == 54)
        #expect(f[2] == 0 && f[3] == 0)
        #expect(f[4...].allSatisfy { $0 == Float(1) / 900 })
    }

    @Test func sparsityCountsCellsAboveEachFractionOfTheTotal() {
        // E = 1 + 0.01 + 1e-4·… : cells at fractions ≈ 0.98, 0.0098, 0.000098 of E.
        let e = Self.event([(i: 15, j: 15, energy: 1), (i: 15, j: 16, energy: 0.01), (i: 3, j: 3, energy: 0.0001)])
        let f = Self.features(e)
        let total = 1.0 + Double(Float(0.01)) + Double(Float(0.0001))
        for (k, alpha) in PhysicsFeatures.sparsityThresholds.enumerated() {
            let cells = [1.0, Double(Float(0.01)), Double(Float(0.0001))].filter { $0 >= alpha * total }.count
            #expect(f[4 + k] == Float(cells) / 900, "threshold \(k)")
        }
        #expect(f[4] == Float(3) / 900 && f[53] == 0)  // α = 1e-5: all three; α = 1: none (1 < E)
    }

    @Test func mirrorSymmetricShowerHasZeroAsymmetryAlong() {
        // Straight-on particle (u = (1, 0)), axis at the origin, a cell boundary: cells at
        // x = −0.5 and x = +0.5 with equal energy mirror each other about the axis.
        let e = Self.event([(i: 15, j: 14, energy: 2), (i: 15, j: 15, energy: 2),
                            (i: 14, j: 13, energy: 1), (i: 14, j: 16, energy: 1)])
        let f = Self.features(e)
        #expect(f[0] == 0)
        // Across (s_v = y): rows 15 (y = +0.5) hold 4 GeV, row 14 (y = −0.5) 2 GeV → (4 − 2)/6.
        #expect(abs(f[1] - 1.0 / 3) < 1e-6)
    }

    @Test func showerOnOneSideHasAsymmetryPlusOrMinusOne() {
        // Inclined along +x: u = (1, 0), v = (0, 1); axis point c = (0 + 7·3/10, 0) = (2.1, 0).
        let m: [Float] = [3, 0, 10]
        let ahead = Self.event([(i: 15, j: 18, energy: 1), (i: 16, j: 20, energy: 2)], momentum: m)  // x = 3.5, 5.5 > 2.1
        let behind = Self.event([(i: 15, j: 16, energy: 1), (i: 13, j: 10, energy: 2)], momentum: m)  // x = 1.5, −4.5 < 2.1
        #expect(Self.features(ahead)[0] == 1)
        #expect(Self.features(behind)[0] == -1)
        // Across: y = +0.5, +1.5 are above the axis; y = −1.5 below.
        #expect(Self.features(ahead)[1] == 1)
        #expect(Self.features(Self.event([(i: 13, j: 18, energy: 1)], momentum: m))[1] == -1)
        // With z_off = 25 (the LHCb value) the axis moves to x = 7.5: the same shower is now behind it.
        #expect(Self.features(ahead, zOffset: 25)[0] == -1)
    }

    @Test func twoCellWidthIsHalfTheirSeparation() {
        // Two equal cells one cell apart along u = (1, 0): s_u = a and a + 1 → sd = 0.5; s_v equal → 0.
        let f = Self.features(Self.event([(i: 10, j: 15, energy: 1.5), (i: 10, j: 16, energy: 1.5)], momentum: [1, 0, 10]))
        #expect(abs(f[2] - 0.5) < 1e-6)
        #expect(abs(f[3]) < 1e-6)
        // Rotated: u along +y, the same pair lies across the axis.
        let g = Self.features(Self.event([(i: 10, j: 15, energy: 1.5), (i: 10, j: 16, energy: 1.5)], momentum: [0, 1, 10]))
        #expect(abs(g[2]) < 1e-6 && abs(g[3] - 0.5) < 1e-6)
        // Unequal weights 1:3 two cells apart: mean at 1.5 of 2, variance = 0.25·0.75·4 = 0.75.
        let h = Self.features(Self.event([(i: 10, j: 10, energy: 1), (i: 10, j: 12, energy: 3)], momentum: [1, 0, 10]))
        #expect(abs(h[2] - Float(0.75).squareRoot()) < 1e-6)
    }

    @Test func diagonalInclinationProjectsOntoTheUnitVector() {
        // u = (1, 1)/√2: two cells one step apart along the diagonal are √2 apart along u.
        let f = Self.features(Self.event([(i: 10, j: 10, energy: 1), (i: 11, j: 11, energy: 1)], momentum: [2, 2, 10]))
        #expect(abs(f[2] - Float(2).squareRoot() / 2) < 1e-6)
        #expect(abs(f[3]) < 1e-6)
    }

    @Test func zeroEnergyEventsGiveZerosAndAreCounted() {
        var events = CaloEvents(zeros: 3)
        events.momentum = [0, 0, 10, 1, 1, 10, 0, 0, 10]
        events.energy[900 + 5] = 2  // only the middle event has energy
        events.energy[2 * 900 + 7] = -1; events.energy[2 * 900 + 8] = 1  // E = 0 with non-zero cells
        let (values, zero) = PhysicsFeatures.compute(events)
        #expect(zero == 2)
        #expect(values[0..<54].allSatisfy { $0 == 0 })
        #expect(values[108..<162].allSatisfy { $0 == 0 })
        #expect(values.allSatisfy { $0.isFinite })
        #expect(values[54 + 4] == Float(1) / 900)
    }

    @Test func asymmetriesAloneMatchTheFullFeatures() {
        let events = ShowerSimulator.simulate(count: 200, seed: 11)
        let full = PhysicsFeatures.compute(events, zOffset: 7).values
        let asym = PhysicsFeatures.asymmetries(events, zOffset: 7)
        for e in 0..<events.count {
            #expect(asym[2 * e] == full[54 * e] && asym[2 * e + 1] == full[54 * e + 1])
        }
    }

    @Test func simulatedShowersHaveSensibleFeatures() {
        // The axis at z_off = 7 follows the shower: asymmetries average near 0, widths ≈ 1 cell.
        let events = ShowerSimulator.simulate(count: 500, seed: 12)
        let (f, zero) = PhysicsFeatures.compute(events)
        #expect(zero == 0)
        var mean = [Double](repeating: 0, count: 54)
        for e in 0..<events.count { for k in 0..<54 { mean[k] += Double(f[54 * e + k]) / 500 } }
        #expect(abs(mean[0]) < 0.1 && abs(mean[1]) < 0.1)
        #expect(mean[2] > 0.3 && mean[2] < 3 && mean[3] > 0.3 && mean[3] < 3)
        #expect(mean[4] > mean[53])  // fewer cells pass higher thresholds
        #expect(abs(mean[4] * 900 - 39) < 8)  // α = 1e-5·E is below the 0.01 GeV cut: ≈ all non-zero cells
    }
}
