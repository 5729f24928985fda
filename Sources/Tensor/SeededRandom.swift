import Foundation

/// Seeded pseudo-random numbers that give the same stream on every machine.
///
/// The integer stream is xoshiro256** (Blackman & Vigna 2018), seeded through SplitMix64,
/// so it depends on nothing but the seed. Uniform, normal and gamma variates are derived
/// from it with fixed algorithms in Double precision. The whole state is a value
/// (`Codable`), so a checkpoint can store it and a resumed run continues the same stream.
public struct SeededRandom: RandomNumberGenerator, Codable, Sendable, Equatable {
    public private(set) var s0: UInt64
    public private(set) var s1: UInt64
    public private(set) var s2: UInt64
    public private(set) var s3: UInt64
    /// Box–Muller yields normals in pairs; the second one waits here.
    public private(set) var spareNormal: Double?

    public init(seed: UInt64) {
        // SplitMix64 expands one 64-bit seed into four well-mixed state words
        // (xoshiro must not start from the all-zero state; SplitMix64 never yields four zeros).
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
        spareNormal = nil
    }

    /// A child generator for an independent sub-stream (e.g. per purpose: data, noise, init).
    /// Derived from the seed and a label so adding a consumer does not shift other streams.
    public init(seed: UInt64, stream: UInt64) {
        self.init(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03) &+ stream)
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always)
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Uniform in [a, b).
    @inline(__always)
    public mutating func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * uniform() }

    /// Uniform integer in 0..<n without modulo bias (Lemire's multiply-shift with rejection).
    public mutating func index(below n: Int) -> Int {
        precondition(n > 0, "index(below:) needs n > 0")
        let bound = UInt64(n)
        var m = next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold { m = next().multipliedFullWidth(by: bound) }
        }
        return Int(m.high)
    }

    /// Standard normal N(0, 1) by the Box–Muller transform.
    public mutating func normal() -> Double {
        if let spare = spareNormal { spareNormal = nil; return spare }
        // u1 in (0, 1] so that log(u1) is finite.
        let u1 = 1.0 - uniform()
        let u2 = uniform()
        let radius = (-2.0 * log(u1)).squareRoot()
        let angle = 2.0 * Double.pi * u2
        spareNormal = radius * sin(angle)
        return radius * cos(angle)
    }

    /// N(mean, sd²).
    public mutating func normal(mean: Double, sd: Double) -> Double { mean + sd * normal() }

    /// Gamma(shape a, rate b): density ∝ t^(a−1)·e^(−b·t), mean a/b.
    /// Marsaglia & Tsang (2000) for a ≥ 1; for a < 1, Gamma(a) = Gamma(a+1)·U^(1/a).
    public mutating func gamma(shape a: Double, rate b: Double) -> Double {
        precondition(a > 0 && b > 0, "gamma needs shape > 0 and rate > 0")
        if a < 1 {
            let u = 1.0 - uniform()
            return gamma(shape: a + 1, rate: b) * pow(u, 1.0 / a)
        }
        let d = a - 1.0 / 3.0
        let c = 1.0 / (9.0 * d).squareRoot()
        while true {
            var x: Double, v: Double
            repeat {
                x = normal()
                v = 1.0 + c * x
            } while v <= 0
            v = v * v * v
            let u = 1.0 - uniform()
            if u < 1.0 - 0.0331 * x * x * x * x { return d * v / b }
            if log(u) < 0.5 * x * x + d * (1.0 - v + log(v)) { return d * v / b }
        }
    }

    /// Fills `buffer` with N(0, 1) draws as Float.
    public mutating func fillNormal(_ buffer: UnsafeMutableBufferPointer<Float>) {
        for i in buffer.indices { buffer[i] = Float(normal()) }
    }

    /// A uniformly random permutation of 0..<n (Fisher–Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        shuffle(&p)
        return p
    }

    /// Fisher–Yates in place with this generator's own `index(below:)`, so the result does
    /// not depend on the standard library's shuffle algorithm.
    public mutating func shuffle<T>(_ a: inout [T]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            let j = index(below: i + 1)
            if i != j { a.swapAt(i, j) }
        }
    }
}
