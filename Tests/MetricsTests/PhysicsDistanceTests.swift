import Calo
import Foundation
import Metrics
import Tensor
import Testing

/// FPD, KPD, KID and W1 (docs/science.md §6.1) against values worked out by hand.
@Suite struct PhysicsDistanceTests {
    init() { BLAS.threads = 1 }

    /// n rows of d independent N(0, 1) features plus `shift`.
    static func gaussian(rows n: Int, columns d: Int, seed: UInt64, shift: [Double]? = nil) -> FeatureMatrix {
        var rng = SeededRandom(seed: seed)
        var values = [Float](repeating: 0, count: n * d)
        for i in 0..<n {
            for j in 0..<d { values[i * d + j] = Float(rng.normal() + (shift?[j] ?? 0)) }
        }
        return FeatureMatrix(rows: n, columns: d, values: values)
    }

    /// `sample` with `delta` added to every row (exactly the same points, moved).
    static func moved(_ sample: FeatureMatrix, by delta: [Double]) -> FeatureMatrix {
        let d = sample.columns
        return FeatureMatrix(rows: sample.rows, columns: d,
                             values: sample.values.indices.map { Float(Double(sample.values[$0]) + delta[$0 % d]) })
    }

    /// Two samples whose means differ by δ and whose spreads are the same: the Gaussian fits
    /// differ only in the mean, so FD = |δ'|² exactly for the whole samples (δ' = δ in the
    /// scaled units the distance sees: δ_j / max|real_j|), and the extrapolated FPD must find
    /// it within its error. The generated events are the real ones moved by δ.
    @Test func meanShiftGivesSquaredShift() throws {
        let real = Self.gaussian(rows: 3000, columns: 5, seed: 1)
        let delta = [0.6, -0.3, 0, 0, 0.2]
        let evaluator = try PhysicsDistanceEvaluator(real: real)
        let fpd = try #require(try evaluator.evaluate(generated: Self.moved(real, by: delta), seed: 3).fpd)
        let expected = zip(delta, evaluator.scale).reduce(0) { $0 + ($1.0 / $1.1) * ($1.0 / $1.1) }
        #expect(expected > 0.01)  // |δ'|² ≈ 0.022: large against the error below
        #expect(fpd.error > 0 && fpd.error < 0.1 * expected, "\(fpd)")
        #expect(abs(fpd.value - expected) <= 2 * fpd.error, "FPD \(fpd.value) ± \(fpd.error), expected \(expected)")
    }

    /// The same sample on both sides: FPD ≈ 0 (an intercept ≥ 0 within its error), and KPD and
    /// KID, whose draws average to exactly 0 here, within their errors of 0.
    @Test func identicalSamplesScoreZeroWithinErrors() throws {
        let real = Self.gaussian(rows: 2000, columns: 6, seed: 5)
        let result = try PhysicsDistanceEvaluator(real: real).evaluate(generated: real, seed: 9)
        let fpd = try #require(result.fpd), kpd = try #require(result.kpd), kid = try #require(result.kid)
        #expect(fpd.value >= 0 && fpd.value <= 2 * fpd.error, "\(fpd)")
        #expect(abs(kpd.value) <= 2 * kpd.error && kpd.error > 0, "\(kpd)")
        #expect(abs(kid.value) <= 2 * kid.error && kid.error > 0, "\(kid)")
        #expect(result.w1 == [Double](repeating: 0, count: 6))
        // A shifted copy is far outside those errors for every distance.
        let shifted = try PhysicsDistanceEvaluator(real: real).evaluate(generated: Self.moved(real, by: [0.5, 0, 0, 0, 0, 0]), seed: 9)
        #expect(shifted.fpd!.value > 10 * fpd.error && shifted.kpd!.value > 10 * kpd.error && shifted.kid!.value > 10 * kid.error)
    }

    /// Two point masses per feature, everything by hand. Real: every event (2, 4) (d = 2);
    /// generated: every event (1, 4). Scaled by the real max |x| = (2, 4): real (1, 1),
    /// generated (0.5, 1). Covariances are 0, so every draw's FD is the squared mean difference
    /// 0.25 and FPD = 0.25 ± 0. With k(x, y) = (x·y/2 + 1)^p: k(r, r) = 2^p, k(g, g) = 1.625^p,
    /// k(r, g) = 1.75^p, and every draw's MMD² = 2^p + 1.625^p − 2·1.75^p: KPD (p = 4) =
    /// 16 + 6.972900390625 − 18.7578125 = 4.215087890625, KID (p = 3) = 8 + 4.291015625 −
    /// 10.71875 = 1.572265625, errors 0. W1 (own units) = |2 − 1| = 1 and |4 − 4| = 0.
    @Test func pointMassesByHand() throws {
        let n = 10
        let real = FeatureMatrix(rows: n, columns: 2, values: Array(repeating: [2, 4], count: n).flatMap { $0 })
        let generated = FeatureMatrix(rows: n, columns: 2, values: Array(repeating: [1, 4], count: n).flatMap { $0 })
        let evaluator = try PhysicsDistanceEvaluator(real: real)
        #expect(evaluator.scale == [2, 4])
        let result = try evaluator.evaluate(generated: generated, seed: 1)
        #expect(abs(result.fpd!.value - 0.25) < 1e-12 && result.fpd!.error < 1e-12, "\(result.fpd!)")
        #expect(abs(result.kpd!.value - 4.215087890625) < 1e-9 && abs(result.kpd!.error) < 1e-9, "\(result.kpd!)")
        #expect(abs(result.kid!.value - 1.572265625) < 1e-9 && abs(result.kid!.error) < 1e-9, "\(result.kid!)")
        #expect(result.w1 == [1, 0])
    }

    /// W1 by hand, one feature. Unequal sizes, a = {0, 0.5, 1} against b = {0, 0, 0, 3, 3, 3}:
    /// the CDFs are 1/3 vs 1/2 on [0, 0.5), 2/3 vs 1/2 on [0.5, 1) and 1 vs 1/2 on [1, 3), so
    /// W1 = 0.5·(1/6) + 0.5·(1/6) + 2·(1/2) = 7/6 (as scipy.stats.wasserstein_distance). Equal
    /// sizes: the mean distance of the sorted values, {0, 1, 5} vs {2, 2, 2} → (2 + 1 + 3)/3 = 2.
    @Test func wassersteinByHand() throws {
        func w1(_ a: [Float], _ b: [Float]) throws -> Double {
            let evaluator = try PhysicsDistanceEvaluator(real: FeatureMatrix(rows: a.count, columns: 1, values: a))
            return try #require(try evaluator.evaluate(generated: FeatureMatrix(rows: b.count, columns: 1, values: b),
                                                       seed: 1, selection: .w1).w1?.first)
        }
        #expect(abs(try w1([0, 0.5, 1], [0, 0, 0, 3, 3, 3]) - 7.0 / 6) < 1e-12)
        #expect(abs(try w1([0, 1, 5], [2, 2, 2]) - 2) < 1e-12)
        #expect(try w1([3, 3, 3], [3, 3, 3]) == 0)
    }

    /// A feature constant in the real sample (and one constant in both, and two identical
    /// features) makes the covariances singular; no distance may become NaN, and identical
    /// samples still score FPD ≈ 0.
    @Test func constantFeaturesGiveNoNaN() throws {
        var real = Self.gaussian(rows: 500, columns: 5, seed: 2)
        var generated = Self.gaussian(rows: 500, columns: 5, seed: 3)
        for i in 0..<500 {
            real.values[i * 5 + 1] = 0.25          // constant in real, varies in generated
            real.values[i * 5 + 3] = 0             // constant 0 in both (scale 1)
            generated.values[i * 5 + 3] = 0
            real.values[i * 5 + 4] = real.values[i * 5]  // a duplicate of feature 0
            generated.values[i * 5 + 4] = generated.values[i * 5]
        }
        let evaluator = try PhysicsDistanceEvaluator(real: real)
        for sample in [generated, real] {
            let r = try evaluator.evaluate(generated: sample, seed: 4)
            let numbers = [r.fpd!.value, r.fpd!.error, r.kpd!.value, r.kpd!.error, r.kid!.value, r.kid!.error] + r.w1!
            #expect(numbers.allSatisfy { $0.isFinite }, "\(r)")
        }
        let same = try evaluator.evaluate(generated: real, seed: 4).fpd!
        #expect(same.value <= 2 * same.error + 1e-12, "\(same)")
        // The generated spread of the feature constant in real counts: Σ_gen's variance there.
        #expect(try evaluator.evaluate(generated: generated, seed: 4).fpd!.value > 0.5)
    }

    @Test func seededAndDeterministic() throws {
        let real = Self.gaussian(rows: 400, columns: 4, seed: 1), generated = Self.gaussian(rows: 400, columns: 4, seed: 2)
        let evaluator = try PhysicsDistanceEvaluator(real: real)
        let a = try evaluator.evaluate(generated: generated, seed: 7)
        #expect(try evaluator.evaluate(generated: generated, seed: 7) == a)
        #expect(try PhysicsDistanceEvaluator(real: real).evaluate(generated: generated, seed: 7) == a)
        let b = try evaluator.evaluate(generated: generated, seed: 8)
        #expect(b.fpd != a.fpd && b.kpd != a.kpd && b.w1 == a.w1)
        // A distance does not depend on which others are computed.
        #expect(try evaluator.evaluate(generated: generated, seed: 7, selection: .kernel).kpd == a.kpd)
        #expect(try evaluator.evaluate(generated: generated, seed: 7, selection: .fpd).fpd == a.fpd)
    }

    @Test func badSamplesAreClearErrors() throws {
        let three = Self.gaussian(rows: 3, columns: 2, seed: 1)
        #expect(throws: MetricsError.tooFewEvents(sample: "real", count: 2, needed: 3)) {
            try PhysicsDistanceEvaluator(real: Self.gaussian(rows: 2, columns: 2, seed: 1))
        }
        let evaluator = try PhysicsDistanceEvaluator(real: three)
        #expect(throws: MetricsError.dimensionMismatch(real: 2, generated: 3)) {
            try evaluator.evaluate(generated: Self.gaussian(rows: 5, columns: 3, seed: 1), seed: 0)
        }
        var bad = three
        bad.values[3] = .nan
        #expect {
            try evaluator.evaluate(generated: bad, seed: 0)
        } throws: {
            "\($0)" == "generated sample: event 1, feature 1 is nan; remove or fix events with non-finite values"
        }
        #expect(throws: MetricsError.self) { try PhysicsDistanceEvaluator(real: three, options: PhysicsDistanceOptions(fpdPoints: 2)) }
    }

    /// jetnet's sizes: (1 / numpy.linspace(1/800, 1/2000, 10)).astype(int32) — 1499, not 1500,
    /// is numpy's truncation of 1/x_7 — and for 4 events the clamp n_min = 2.
    @Test func fpdSampleSizesFollowJetnet() {
        let options = PhysicsDistanceOptions()
        #expect(options.fpdSampleSizes(realRows: 2000, generatedRows: 3000) == [800, 857, 923, 1000, 1090, 1200, 1333, 1499, 1714, 2000])
        #expect(options.fpdSampleSizes(realRows: 4, generatedRows: 4) == [2, 2, 2, 2, 2, 2, 2, 3, 3, 4])
    }

    /// By hand. Points on y = 2 + 3x: a = 2, b = 3, error 0. Points (1, 4), (2, 3), (3, 2)
    /// slope down: b is clamped to 0, a = ȳ = 3 (residual 2, less than the line through the
    /// origin's 525/49); σ_a² = RSS/(M − 2)·Σx²/(M·Σ(x − x̄)²) = 2/1 · 14/(3·2) = 14/3.
    /// (scipy.optimize.curve_fit with bounds ([0, 0], [∞, ∞]) gives the same.)
    @Test func constrainedLineFitByHand() {
        let exact = ConstrainedLineFit(x: [0.1, 0.2, 0.3, 0.5], y: [2.3, 2.6, 2.9, 3.5])
        #expect(abs(exact.intercept - 2) < 1e-12 && abs(exact.slope - 3) < 1e-12 && exact.interceptError < 1e-6)
        let down = ConstrainedLineFit(x: [1, 2, 3], y: [4, 3, 2])
        #expect(down.intercept == 3 && down.slope == 0)
        #expect(abs(down.interceptError - (14.0 / 3).squareRoot()) < 1e-12)
        // Negative intercept: the line through the origin, b = Σxy/Σx².
        let origin = ConstrainedLineFit(x: [1, 2, 3], y: [0.5, 1.5, 2.5])
        #expect(origin.intercept == 0 && abs(origin.slope - 11.0 / 14) < 1e-12)
    }

    /// numpy: median([1…10]) = 5.5; scipy.stats.iqr(1…10, rng=(16.275, 83.725)) / 2 =
    /// (8.53525 − 2.46475) / 2 = 3.03525.
    @Test func summaryQuantilesFollowNumpy() {
        let s = DistanceEstimate.summary(of: [7, 1, 9, 3, 5, 2, 8, 10, 4, 6])
        #expect(abs(s.value - 5.5) < 1e-12 && abs(s.error - 3.03525) < 1e-12)
    }

    /// W1's record figures on the 54 physics features: the four scalars, then the mean over
    /// sparsity (w1_mean, their mean, is the QG metric's: TrialProtocol's QualityMetric).
    @Test func recordedW1Figures() {
        let w1 = [0.1, 0.2, 0.3, 0.4] + (0..<50).map { Double($0) / 100 }
        let d = PhysicsDistances(w1: w1)
        #expect(d.w1AsymmetryAlong == 0.1 && d.w1AsymmetryAcross == 0.2 && d.w1WidthAlong == 0.3 && d.w1WidthAcross == 0.4)
        #expect(abs(d.w1Sparsity! - 0.245) < 1e-12)
        #expect(PhysicsDistances(w1: [1, 2]).w1Sparsity == nil)
    }
}
