import Calo
import Metrics
import Tensor
import Testing

/// RAW and Physical PRD on simulated events (docs/science.md §2.1): 2,000 real vs 2,000 generated,
/// k = 50, 3 runs, one BLAS thread. Measured (seed 7): same 0.975 / 0.975 (RAW / Physical),
/// energies ×2 0.883 / 0.975, shifted 3 cells 0.050 / 0.685. Two independent samples of one
/// distribution vary by ≈ 0.005 between seeds, so a drop of 0.05 is far outside chance.
@Suite struct CaloPRDTests {
    static let events = 2000
    let scorer: CaloPRD
    let real = ShowerSimulator.simulate(count: CaloPRDTests.events, seed: 1)

    init() throws {
        BLAS.threads = 1
        scorer = try CaloPRD(options: PRDOptions(clusters: 50, runs: 3))
    }

    /// The same events with every cell energy doubled.
    func doubled(_ e: CaloEvents) -> CaloEvents {
        var out = e
        out.energy = e.energy.map { 2 * $0 }
        return out
    }

    /// The same events with every shower moved 3 cells along +x (columns), cells pushed off
    /// the edge lost; momenta and entry points unchanged, so the shower no longer sits where
    /// its conditions say.
    func shifted(_ e: CaloEvents, by cells: Int) -> CaloEvents {
        var out = e
        out.energy = [Float](repeating: 0, count: e.energy.count)
        for n in 0..<e.count {
            for i in 0..<30 {
                for j in 0..<(30 - cells) {
                    out.energy[n * 900 + i * 30 + j + cells] = e.energy[n * 900 + i * 30 + j]
                }
            }
        }
        return out
    }

    @Test func independentSamplesScoreHighWrongSamplesLower() throws {
        let other = ShowerSimulator.simulate(count: Self.events, seed: 2)
        let same = try scorer.evaluate(real: real, generated: other, seed: 7)
        #expect(same.raw.auc > 0.95 && same.physical.auc > 0.95, "same: \(same.raw.auc), \(same.physical.auc)")
        #expect(same.score == min(same.raw.auc, same.physical.auc))
        #expect(same.zeroEnergyReal == 0 && same.zeroEnergyGenerated == 0)

        // Energies ×2: log(1 + 2E) shifts every hot cell; RAW PRD drops. The physics features
        // are ratios to the event's own energy (asymmetries, widths, I ≥ α·E), so Physical PRD
        // cannot see a global scale — it must not move.
        let doubled = try scorer.evaluate(real: real, generated: doubled(other), seed: 7)
        #expect(doubled.raw.auc < 0.93 && doubled.raw.auc < same.raw.auc - 0.05, "×2: \(doubled.raw.auc)")
        #expect(abs(doubled.physical.auc - same.physical.auc) < 0.01)
        #expect(doubled.score == doubled.raw.auc)

        // Showers 3 cells off their conditions: the images barely overlap the real ones, and
        // the asymmetries about the shower axis are off.
        let moved = try scorer.evaluate(real: real, generated: shifted(other, by: 3), seed: 7)
        #expect(moved.raw.auc < 0.2, "shifted RAW: \(moved.raw.auc)")
        #expect(moved.physical.auc < 0.85 && moved.physical.auc < same.physical.auc - 0.15,
                "shifted Physical: \(moved.physical.auc)")
    }

    @Test func rejectsABadAxisOffset() {
        #expect(throws: MetricsError.self) { try CaloPRD(options: PRDOptions(), zOffset: .nan) }
    }
}
