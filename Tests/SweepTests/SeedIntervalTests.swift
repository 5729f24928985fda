import Testing
import Sweep

/// Student-t quantiles and cdf values pinned against scipy.stats.t (scipy 1.x, 2026-12-03).
@Suite struct SeedIntervalTests {
    // (ν, t_{0.975}, t_{0.95}, F(−1.3))
    static let scipy: [(Double, Double, Double, Double)] = [
        (1, 12.706204736174694, 6.313751514675037, 0.20871440016015272),
        (2, 4.302652729749462, 2.9199855803537242, 0.16162351590802015),
        (3, 3.1824463052837078, 2.3533634348018233, 0.14223375436394853),
        (5, 2.5705818356363146, 2.0150483733330233, 0.12515031708533855),
        (10, 2.228138851986274, 1.8124611228116756, 0.1113829086034223),
        (30, 2.0422724563012378, 1.697260886593957, 0.10175047926905843),
    ]

    @Test func quantilesAndCdfMatchScipy() {
        for (nu, q975, q95, cdfAtMinus13) in Self.scipy {
            #expect(abs(StudentT.quantile(0.975, degreesOfFreedom: nu) - q975) < 1e-9 * q975, "ν = \(nu)")
            #expect(abs(StudentT.quantile(0.95, degreesOfFreedom: nu) - q95) < 1e-9 * q95, "ν = \(nu)")
            #expect(abs(StudentT.quantile(0.025, degreesOfFreedom: nu) + q975) < 1e-9 * q975, "ν = \(nu)")
            #expect(abs(StudentT.cdf(-1.3, degreesOfFreedom: nu) - cdfAtMinus13) < 1e-12, "ν = \(nu)")
        }
    }

    @Test func intervalOfFourSeedsMatchesScipy() throws {
        // numpy/scipy: mean ± t.ppf(0.975, 3) · std(ddof=1) / √4
        let interval = try #require(SeedInterval([0.0067, 0.0060, 0.0025, 0.0024]))
        let (low, high) = try #require(interval.twoSided())
        #expect(abs(low - 0.0007877715678340697) < 1e-12)
        #expect(abs(high - 0.008012228432165931) < 1e-12)
        #expect(interval.count == 4 && interval.degreesOfFreedom == 3)
    }

    @Test func oneSeedHasNoInterval() throws {
        let interval = try #require(SeedInterval([0.3]))
        #expect(interval.twoSided() == nil)
        #expect(interval.lowerBound(confidence: 0.9) == nil)
        #expect(SeedInterval([]) == nil)
    }

    @Test func oneSidedBoundsSitInsideTheTwoSidedOneOfDoubleTheirTail() throws {
        let interval = try #require(SeedInterval([1, 2, 4, 3, 5]))
        let (low, high) = try #require(interval.twoSided(confidence: 0.9))
        #expect(abs(try #require(interval.lowerBound(confidence: 0.95)) - low) < 1e-12)
        #expect(abs(try #require(interval.upperBound(confidence: 0.95)) - high) < 1e-12)
    }

    @Test func onlyIntervalsThatSeparateAreAnEffect() throws {
        let a = try #require(SeedInterval([1.0, 1.1, 0.9]))
        let b = try #require(SeedInterval([2.0, 2.1, 1.9]))
        let c = try #require(SeedInterval([1.2, 0.2, 2.2]))
        #expect(SeedInterval.separate(a, b))
        #expect(!SeedInterval.separate(a, c))
        #expect(!SeedInterval.separate(a, try #require(SeedInterval([5.0]))))
    }
}
