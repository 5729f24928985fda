import Foundation
import Testing
import Calo

/// The built-in simulator against the expected character of docs/science.md §2.1 (from an independent
/// implementation, 2,000 events) and its determinism.
@Suite struct SimulatorTests {
    static let events = ShowerSimulator.simulate(count: 2_000, seed: 20_260_101)

    /// Mean and relative spread (sd/mean) of total/E for events with |p| in `band`.
    static func response(in band: ClosedRange<Float>) -> (mean: Double, resolution: Double, count: Int) {
        var ratios: [Double] = []
        for e in 0..<events.count {
            let p = events.momentumMagnitude(e)
            if band.contains(p) { ratios.append(Double(events.totalEnergy(e) / p)) }
        }
        let mean = ratios.reduce(0, +) / Double(ratios.count)
        let variance = ratios.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(ratios.count - 1)
        return (mean, variance.squareRoot() / mean, ratios.count)
    }

    @Test func conditionsFollowTheirDistributions() {
        let e = Self.events
        for k in 0..<e.count {
            let p = e.momentumMagnitude(k)
            let px = e.momentum[3 * k], py = e.momentum[3 * k + 1], pz = e.momentum[3 * k + 2]
            #expect(p >= 1.999 && p <= 100.01)
            #expect(pz > 0)
            #expect(abs(px / pz) <= 0.25 && abs(py / pz) <= 0.20)
            #expect(abs(e.point[2 * k]) <= 0.5 && abs(e.point[2 * k + 1]) <= 0.5)
        }
        // log-uniform |p|: half the events below the geometric mean sqrt(2·100) ≈ 14.1 GeV.
        let below = (0..<e.count).filter { e.momentumMagnitude($0) < (200 as Float).squareRoot() }.count
        #expect(abs(Double(below) / Double(e.count) - 0.5) < 0.04)
    }

    @Test func responseIsAbout103Percent() {
        let all = Self.response(in: 0...1_000)
        print("simulator: mean total/E = \(all.mean)")
        #expect(abs(all.mean - 1.03) < 0.02)
    }

    @Test func resolutionByEnergyBand() {
        let low = Self.response(in: 2...5), mid = Self.response(in: 10...20), high = Self.response(in: 50...100)
        print("simulator: resolution 2–5 GeV \(low.resolution) (n=\(low.count)), 10–20 \(mid.resolution) (n=\(mid.count)), 50–100 \(high.resolution) (n=\(high.count))")
        #expect(abs(low.resolution - 0.06) < 0.012)
        #expect(abs(mid.resolution - 0.03) < 0.006)
        #expect(abs(high.resolution - 0.016) < 0.004)
    }

    @Test func hottestCellAndOccupancy() {
        let e = Self.events
        var hottest = 0.0, occupied = 0.0
        for k in 0..<e.count {
            let image = e.energy[k * 900 ..< (k + 1) * 900]
            hottest += Double(image.max()! / e.totalEnergy(k))
            occupied += Double(image.filter { $0 > 0 }.count)
        }
        hottest /= Double(e.count); occupied /= Double(e.count)
        print("simulator: hottest cell fraction \(hottest), non-zero cells \(occupied)")
        #expect(abs(hottest - 0.44) < 0.03)
        #expect(abs(occupied - 39) < 4)
    }

    @Test func cellsAreZeroOrAboveTheReadoutCut() {
        #expect(Self.events.energy.allSatisfy { $0 == 0 || $0 >= ShowerSimulator.readoutThreshold })
    }

    @Test func sameSeedSameEventsWhateverTheThreadCount() {
        let a = ShowerSimulator.simulate(count: 600, seed: 7, threads: 1)
        let b = ShowerSimulator.simulate(count: 600, seed: 7, threads: 2)
        let c = ShowerSimulator.simulate(count: 600, seed: 8, threads: 2)
        #expect(a == b)
        #expect(a != c)
        // A prefix of a longer run is the shorter run: events depend on (seed, index) only.
        #expect(ShowerSimulator.simulate(count: 300, seed: 7) == a.slice(0..<300))
    }
}
