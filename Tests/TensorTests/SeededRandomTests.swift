import Testing
import Tensor

@Suite struct SeededRandomTests {
    @Test func sameSeedSameStream() {
        var a = SeededRandom(seed: 42), b = SeededRandom(seed: 42)
        for _ in 0..<1000 { #expect(a.next() == b.next()) }
        var c = SeededRandom(seed: 43), d = SeededRandom(seed: 42)
        #expect(d.next() != c.next())
    }

    /// Pins the stream: xoshiro256** seeded by SplitMix64(0). If this changes, every
    /// stored result's reproducibility is broken.
    @Test func streamIsPinned() {
        var r = SeededRandom(seed: 0)
        // Computed by an independent Python implementation of SplitMix64 + xoshiro256**.
        #expect(r.next() == 0x99EC_5F36_CB75_F2B4)
        #expect(r.next() == 0xBF6E_1F78_4956_452A)
        #expect(r.next() == 0x1A5F_849D_4933_E6E0)
    }

    @Test func moments() {
        var r = SeededRandom(seed: 7)
        let n = 200_000
        var su = 0.0, sn = 0.0, sn2 = 0.0, sg = 0.0, sg2 = 0.0
        for _ in 0..<n {
            su += r.uniform()
            let z = r.normal(); sn += z; sn2 += z * z
            let g = r.gamma(shape: 3.5, rate: 0.5); sg += g; sg2 += g * g
        }
        let nd = Double(n)
        #expect(abs(su / nd - 0.5) < 0.005)
        #expect(abs(sn / nd) < 0.01)
        #expect(abs(sn2 / nd - 1) < 0.02)
        // Gamma(a, b): mean a/b = 7, variance a/b² = 14.
        let gm = sg / nd
        #expect(abs(gm - 7) < 0.05)
        #expect(abs(sg2 / nd - gm * gm - 14) < 0.3)
    }

    @Test func gammaSmallShape() {
        var r = SeededRandom(seed: 3)
        let n = 100_000
        var s = 0.0
        for _ in 0..<n { s += r.gamma(shape: 0.5, rate: 2) }
        #expect(abs(s / Double(n) - 0.25) < 0.01)
    }

    @Test func stateRoundTripsThroughCodable() throws {
        var r = SeededRandom(seed: 11)
        _ = r.normal() // leaves a spare normal in the state
        let data = try JSONEncoder().encode(r)
        var restored = try JSONDecoder().decode(SeededRandom.self, from: data)
        for _ in 0..<10 { #expect(r.normal() == restored.normal()) }
    }

    @Test func permutationIsAPermutation() {
        var r = SeededRandom(seed: 5)
        let p = r.permutation(1000)
        #expect(Set(p).count == 1000 && p.min() == 0 && p.max() == 999)
        #expect(p != Array(0..<1000))
    }
}
import Foundation
