import Foundation
import GAN
import Testing

/// `model.arch: dcgan` (the default) is today's model, bit for bit: a short trial (tiny, 256
/// events, 2 epochs, hinge m = 2, one thread) reproduces the epoch figures and the final
/// parameter, Adam and SN state recorded on main before the ResNet family was added (commit
/// d5595ac, release build, this machine's OpenBLAS). Pinned values depend on the float
/// arithmetic of the build and of OpenBLAS's kernels for this CPU: on another CPU family they
/// may differ in the last bits, which is a reason to re-pin, not a regression.
@Suite(.serialized) struct DCGANPinnedTests {
    /// FNV-1a 64 of a byte block.
    static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return h
    }

    static let pinnedEpochs = [
        "epoch=1 d_loss=2.1461948194098617 g_loss=-0.04324075012891626 reg_loss=0.0 raw_prd=0.0 phys_prd=0.0 "
            + "lipschitz_bound=2.4142736986584215 lipschitz_empirical=0.05692988869743669 "
            + "k=[1.0035103559494019, 1.0035415887832642, 1.0035415887832642] k_product=1.0106309848714232",
        "epoch=2 d_loss=1.9459605760287402 g_loss=0.29152033175341785 reg_loss=0.0 raw_prd=0.2749993290477967 "
            + "phys_prd=0.0 lipschitz_bound=3.013439444932836 lipschitz_empirical=0.6365481768975131 "
            + "k=[1.011771321296692, 1.0120017528533936, 1.01192307472229] k_product=1.0361225579509408",
    ]
    static let pinnedGenerator: UInt64 = 0x3973_c1f2_afe2_7a83
    static let pinnedDiscriminator: UInt64 = 0xec68_ff83_dc9c_d446

    @Test func dcganIsUnchangedBitForBit() throws {
        let config = TrialFixtures.config(regularizer: .hinge, epochs: 2)
        let dir = TrialFixtures.temporaryDirectory("pinned")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (lines, outcome) = try TrialFixtures.run(config, directory: dir)
        #expect(outcome?.state == .completed)
        // The figures pinned before the physics distances existed (their arrival changed none).
        let epochs = TrialFixtures.objects(lines).filter { $0["type"] as? String == "epoch" }.map(ResumeTests.trainingMetrics)
        let saved = try #require(try Checkpoint.read(from: dir))
        let g = Self.fnv1a(saved.generator), d = Self.fnv1a(saved.discriminator)
        #expect(epochs == Self.pinnedEpochs)
        #expect(g == Self.pinnedGenerator, "G state hash \(String(g, radix: 16))")
        #expect(d == Self.pinnedDiscriminator, "D state hash \(String(d, radix: 16))")
    }
}
