import GAN
import TrialProtocol
import Testing

/// The k terms of docs/science.md §5.1 at k = (2, −0.5, 1.5) (Π|k| = 1.5), α = 0.7, against hand values,
/// and their gradients against central differences.
@Suite struct RegularizerTests {
    static let k = SIMD3<Double>(2, -0.5, 1.5)

    static func expectClose(_ a: SIMD3<Double>, _ b: SIMD3<Double>, _ label: String) {
        for i in 0..<3 { #expect(abs(a[i] - b[i]) < 1e-12, "\(label) ∂k\(i + 1): \(a[i]) vs \(b[i])") }
    }

    @Test func handValues() {
        func term(_ kind: RegularizerKind, margin: Double = 2) -> (value: Double, gradient: SIMD3<Double>) {
            Regularizer(kind: kind, alpha: 0.7, margin: margin).scaleTerm(Self.k)
        }
        for kind in [RegularizerKind.none, .sn, .lecam] {
            #expect(term(kind).value == 0 && term(kind).gradient == .zero)
        }
        #expect(abs(term(.alphaK).value - 0.7 * 1.5) < 1e-12)
        Self.expectClose(term(.alphaK).gradient, SIMD3(0, 0, 0.7), "alpha-k")
        #expect(abs(term(.l2).value - 0.7 * (4 + 0.25 + 2.25)) < 1e-12)
        Self.expectClose(term(.l2).gradient, SIMD3(2.8, -0.7, 2.1), "l2")
        #expect(abs(term(.linf).value - 0.7 * 1.5) < 1e-12)
        // sign(k_i)·Π_{j≠i}|k_j|: (+0.75, −3, +1)·0.7
        Self.expectClose(term(.linf).gradient, SIMD3(0.525, -2.1, 0.7), "linf")
        #expect(abs(term(.hinge, margin: 1).value - 0.7 * 0.5) < 1e-12)
        Self.expectClose(term(.hinge, margin: 1).gradient, SIMD3(0.525, -2.1, 0.7), "hinge m=1")
        // Below the soft margin the hinge is flat.
        #expect(term(.hinge, margin: 2).value == 0 && term(.hinge, margin: 2).gradient == .zero)
    }

    @Test(arguments: RegularizerKind.allCases) func gradientsMatchFiniteDifferences(kind: RegularizerKind) {
        let reg = Regularizer(kind: kind, alpha: 0.7, margin: 1)
        let analytic = reg.scaleTerm(Self.k).gradient
        for i in 0..<3 {
            var plus = Self.k, minus = Self.k
            plus[i] += 1e-6; minus[i] -= 1e-6
            let numeric = (reg.scaleTerm(plus).value - reg.scaleTerm(minus).value) / 2e-6
            #expect(abs(numeric - analytic[i]) < 1e-6, "\(kind) ∂k\(i + 1)")
        }
    }

    @Test func trainableTable() {
        #expect(RegularizerKind.none.trainableScales == [false, false, false])
        #expect(RegularizerKind.sn.trainableScales == [false, false, false])
        #expect(RegularizerKind.lecam.trainableScales == [false, false, false])
        #expect(RegularizerKind.alphaK.trainableScales == [false, false, true])
        for kind in [RegularizerKind.l2, .linf, .hinge] { #expect(kind.trainableScales == [true, true, true]) }
        #expect(!RegularizerKind.none.usesSpectralNorm)
        let allButNone = RegularizerKind.allCases.filter { $0 != .none }
        #expect(allButNone.allSatisfy { $0.usesSpectralNorm })
    }

    @Test func leCamAverages() {
        var s = LeCamState()
        s.update(realMean: 2, fakeMean: -1)
        #expect(s.realAverage == 2 && s.fakeAverage == -1)
        s.update(realMean: 4, fakeMean: 1)
        #expect(abs(s.realAverage! - (0.99 * 2 + 0.01 * 4)) < 1e-15)
        #expect(abs(s.fakeAverage! - (0.99 * -1 + 0.01 * 1)) < 1e-15)
    }
}
