import Testing
import Tensor
import NN

/// Values against closed forms and finite-difference gradients of every loss (tolerance as
/// in `GradientCheck`). Inputs stay ≥ 0.05 from the hinge kinks at ±1.
@Suite struct LossGradientTests {
    typealias LossFunction = (UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>?) -> Double

    static func values(_ n: Int, seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        return (0..<n).map { _ in
            var v: Float
            repeat { v = Float(rng.uniform(-3, 3)) } while abs(abs(v) - 1) < 0.05
            return v
        }
    }

    /// Analytic gradient (scale 1.5, accumulated onto a nonzero start) vs central differences.
    static func check(_ n: Int, seed: UInt64, _ loss: LossFunction) -> Double {
        var x = values(n, seed: seed)
        var grad = [Float](repeating: 0.25, count: n)   // losses add to what is there
        _ = x.withUnsafeBufferPointer { xp in grad.withUnsafeMutableBufferPointer { loss(xp, $0) } }
        let analytic = grad.map { $0 - 0.25 }
        let numeric = x.withUnsafeMutableBufferPointer { xp in
            GradientCheck.numeric(xp.baseAddress!, count: n) { loss(UnsafeBufferPointer(xp), nil) }
        }
        return GradientCheck.relativeError(analytic, numeric)
    }

    @Test(arguments: [Float(0), 1, 0.3]) func bceWithLogits(target: Float) {
        let error = Self.check(9, seed: 1) { Loss.bceWithLogits($0, target: target, scale: 1.5, gradient: $1) }
        #expect(error < GradientCheck.tolerance, "BCE(t=\(target)) error \(error)")
        // Value: x = 0 → log 2 for any target; x = 2, t = 1 → log(1 + e⁻²).
        let v = [Float(0), 2].withUnsafeBufferPointer { Loss.bceWithLogits($0, target: 1) }
        #expect(abs(v - (0.6931471805599453 + 0.12692801104297263) / 2) < 1e-7)
    }

    @Test func hingeDiscriminator() {
        // Real and fake halves of one buffer, as D sees a 2B batch.
        let error = Self.check(12, seed: 2) { x, g in
            let real = UnsafeBufferPointer(rebasing: x[0..<5]), fake = UnsafeBufferPointer(rebasing: x[5...])
            return Loss.hingeDiscriminator(real: real, fake: fake, scale: 1.5,
                                           realGradient: g.map { .init(rebasing: $0[0..<5]) },
                                           fakeGradient: g.map { .init(rebasing: $0[5...]) })
        }
        #expect(error < GradientCheck.tolerance, "hinge D error \(error)")
        let v = [Float(0.5), 2].withUnsafeBufferPointer { r in
            [Float(-2), 0].withUnsafeBufferPointer { f in Loss.hingeDiscriminator(real: r, fake: f) }
        }
        #expect(abs(v - (0.25 + 0.5)) < 1e-12) // mean(0.5, 0) + mean(0, 1)
    }

    @Test func negativeMeanForGenerator() {
        let error = Self.check(7, seed: 3) { Loss.negativeMean($0, scale: 1.5, gradient: $1) }
        #expect(error < GradientCheck.tolerance, "−mean error \(error)")
        #expect([Float(1), 2, 6].withUnsafeBufferPointer { Loss.negativeMean($0) } == -3)
    }

    @Test func wassersteinDiscriminator() {
        let error = Self.check(10, seed: 4) { x, g in
            Loss.wassersteinDiscriminator(real: .init(rebasing: x[0..<4]), fake: .init(rebasing: x[4...]), scale: 1.5,
                                          realGradient: g.map { .init(rebasing: $0[0..<4]) },
                                          fakeGradient: g.map { .init(rebasing: $0[4...]) })
        }
        #expect(error < GradientCheck.tolerance, "Wasserstein D error \(error)")
        let v = [Float(1), 3].withUnsafeBufferPointer { r in
            [Float(-1)].withUnsafeBufferPointer { f in Loss.wassersteinDiscriminator(real: r, fake: f) }
        }
        #expect(v == -3) // mean fake − mean real = −1 − 2
    }

    @Test func leastSquares() {
        let error = Self.check(8, seed: 5) { Loss.leastSquares($0, target: 0.7, scale: 1.5, gradient: $1) }
        #expect(error < GradientCheck.tolerance, "least squares error \(error)")
        #expect([Float(1), 3].withUnsafeBufferPointer { Loss.leastSquares($0, target: 1) } == 2)
    }

    @Test func mse() {
        let target = Self.values(8, seed: 9)
        let error = target.withUnsafeBufferPointer { t in
            Self.check(8, seed: 6) { Loss.mse($0, target: t, scale: 1.5, gradient: $1) }
        }
        #expect(error < GradientCheck.tolerance, "MSE error \(error)")
        let v = [Float(1), 2].withUnsafeBufferPointer { p in [Float(0), 4].withUnsafeBufferPointer { Loss.mse(p, target: $0) } }
        #expect(v == 2.5)
    }
}
