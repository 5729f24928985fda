import Foundation
import Metrics
import Testing

@Suite struct PRDCurveTests {
    @Test func anglesAreTheSpecLinspace() {
        #expect(PRDCurve.angles.count == 1001)
        #expect(PRDCurve.angles[0] == 1e-10)
        #expect(PRDCurve.angles[1000] == Double.pi / 2 - 1e-10)
        #expect(abs(PRDCurve.angles[500] - Double.pi / 4) < 1e-15)
        #expect(abs(PRDCurve.slopes[0] - 1e-10) < 1e-24)
    }

    /// Identical histograms h: precision_i = Σ min(s·h_k, h_k) = min(s, 1) and
    /// recall_i = min(1, 1/s). Along the angles precision rises from s_0 = tan(1e-10) to 1 with
    /// recall ≡ 1 (s ≤ 1), then stays at 1 while recall falls (s > 1, zero-width trapezoids).
    /// So AUC = 1·(1 − tan 1e-10) = 1 − 1e-10: the whole unit square except the sliver left of
    /// the first angle — the largest area this 1,001-angle curve can enclose (recall ≤ 1 and
    /// precision ≤ 1 everywhere).
    @Test func identicalHistogramsGiveTheMaximum() {
        let h = [0.2, 0.3, 0.5]
        let curve = PRDCurve(reference: h, evaluated: h)
        #expect(abs(curve.area - (1 - tan(1e-10))) < 1e-12)
        // Counts instead of probabilities: normalised, same curve.
        #expect(abs(PRDCurve(reference: [2, 3, 5], evaluated: [20, 30, 50]).area - curve.area) < 1e-14)
    }

    /// Disjoint supports: every min(s·ref_k, eval_k) has a zero argument, precision ≡ 0.
    @Test func disjointSupportsGiveZero() {
        let curve = PRDCurve(reference: [0.5, 0.5, 0, 0], evaluated: [0, 0, 0.3, 0.7])
        #expect(curve.area == 0)
        #expect(curve.precision.allSatisfy { $0 == 0 })
    }

    /// Hand-worked 2-bin case: ref (real) = (1/2, 1/2), eval (generated) = (0, 1).
    ///   precision(s) = min(s/2, 0) + min(s/2, 1) = min(s/2, 1)
    ///   recall(s)    = min(1/2, 1/s)
    /// The kink is at s = 2, λ = atan 2 = 1.1071487…; the angle step is (π/2 − 2ε)/1000, so
    /// λ_704 = 1.1058406 (s_704 = 1.9934765 < 2) and λ_705 = 1.1074114 (s_705 = 2.0013142 > 2).
    ///   i = 0…704: points (s_i/2, 1/2) on a horizontal line → area (s_704 − s_0)/2 · 1/2
    ///   704 → 705: from (s_704/2, 1/2) to (1, 1/s_705) → (1 − s_704/2)·(1/2 + 1/s_705)/2
    ///   i ≥ 705: precision stays 1 → no area.
    /// AUC = (s_704 − s_0)/4 + (1 − s_704/2)(1/2 + 1/s_705)/2
    ///     = 0.498369136… + 0.001630328… = 0.49999946452553884 (NumPy's trapezoid agrees).
    @Test func handWorkedTwoBinCase() {
        let s = PRDCurve.slopes
        let expected = (s[704] - s[0]) / 4 + (1 - s[704] / 2) * (0.5 + 1 / s[705]) / 2
        let curve = PRDCurve(reference: [0.5, 0.5], evaluated: [0, 1])
        #expect(abs(curve.area - expected) < 1e-9)
        #expect(abs(curve.area - 0.49999946452553884) < 1e-9)
    }

    /// Which histogram is which matters for the curve points (not for the area, which is
    /// symmetric up to discretisation): at s = tan(π/8) real (1/2, 1/2) vs generated (0, 1)
    /// gives precision s/2, recall 1/2 — the generated sample covers half of the real mass.
    @Test func realIsTheReference() {
        let s = PRDCurve.slopes[250]
        let curve = PRDCurve(reference: [0.5, 0.5], evaluated: [0, 1])
        #expect(abs(curve.precision[250] - s / 2) < 1e-12)
        #expect(abs(curve.recall[250] - 0.5) < 1e-12)
        let swapped = PRDCurve(reference: [0, 1], evaluated: [0.5, 0.5])
        #expect(abs(swapped.precision[250] - s) < 1e-12)
        #expect(abs(swapped.recall[250] - 1) < 1e-12)
    }

    @Test func averagingIsPointwise() {
        let a = PRDCurve(precision: [0, 0.5, 1], recall: [1, 0.5, 0])
        let b = PRDCurve(precision: [0, 0.3, 0.5], recall: [1, 0.3, 0.1])
        let mean = PRDCurve.average([a, b])
        #expect(mean.precision == [0, 0.4, 0.75])
        #expect(mean.recall == [1, 0.4, 0.05])
        // Trapezoids: 0.4·(1 + 0.4)/2 + 0.35·(0.4 + 0.05)/2 = 0.28 + 0.07875.
        #expect(abs(mean.area - 0.35875) < 1e-15)
    }
}
