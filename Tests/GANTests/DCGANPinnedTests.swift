import Foundation
import GAN
import Tensor
import Testing

/// `model.arch: dcgan` (the default) is today's model, bit for bit: a short trial (tiny, 256
/// events, 2 epochs, hinge m = 2, one thread) reproduces the epoch figures and the final
/// parameter, Adam and SN state recorded on main before the ResNet family was added (commit
/// d5595ac, release build).
///
/// The figures depend on the order in which OpenBLAS's kernels sum their products, which
/// differs between its kernel sets (SSE3 Prescott, AVX2 Haswell, AVX-512 SkylakeX…), so they
/// are pinned per kernel set (`BLASCore.loaded`), each recorded on this machine (a virtualised
/// Xeon with AVX-512 and bf16) by running the test under `OPENBLAS_CORETYPE=NAME`. A set not in
/// the table fails, printing its figures and how to add them: a new set is a reason to record,
/// not a regression; a changed figure under a recorded set is a regression.
@Suite(.serialized) struct DCGANPinnedTests {
    /// FNV-1a 64 of a byte block.
    static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return h
    }

    struct Pins: Equatable, CustomStringConvertible {
        var epochs: [String], generator: UInt64, discriminator: UInt64

        /// As the table's Swift source spells an entry.
        var description: String {
            func hex(_ h: UInt64) -> String {
                let s = String(repeating: "0", count: 16 - String(h, radix: 16).count) + String(h, radix: 16)
                return "0x" + stride(from: 0, to: 16, by: 4).map { i in
                    String(s[s.index(s.startIndex, offsetBy: i)..<s.index(s.startIndex, offsetBy: i + 4)])
                }.joined(separator: "_")
            }
            return "Pins(epochs: [\n" + epochs.map { "    \"\($0)\"" }.joined(separator: ",\n")
                + "],\n    generator: \(hex(generator)), discriminator: \(hex(discriminator)))"
        }
    }

    /// Per OpenBLAS kernel set (`openblas_get_corename()`).
    static let pinned: [String: Pins] = [
        // Recorded on main at d5595ac (OpenBLAS's generic fallback on this machine until BLASCore).
        "Prescott": Pins(epochs: [
            "epoch=1 d_loss=2.1461948194098617 g_loss=-0.04324075012891626 reg_loss=0.0 raw_prd=0.0 phys_prd=0.0 "
                + "lipschitz_bound=2.4142736986584215 lipschitz_empirical=0.05692988869743669 "
                + "k=[1.0035103559494019, 1.0035415887832642, 1.0035415887832642] k_product=1.0106309848714232",
            "epoch=2 d_loss=1.9459605760287402 g_loss=0.29152033175341785 reg_loss=0.0 raw_prd=0.2749993290477967 "
                + "phys_prd=0.0 lipschitz_bound=3.013439444932836 lipschitz_empirical=0.6365481768975131 "
                + "k=[1.011771321296692, 1.0120017528533936, 1.01192307472229] k_product=1.0361225579509408",
        ], generator: 0x3973_c1f2_afe2_7a83, discriminator: 0xec68_ff83_dc9c_d446),
        // The same build under the AVX2 and AVX-512 kernels (recorded 2026-12-02 with the Prescott
        // entry above passing, so the model is d5595ac's; only OpenBLAS's summation order differs).
        "Haswell": Pins(epochs: [
            "epoch=1 d_loss=2.146187416170353 g_loss=-0.044247003678947294 reg_loss=0.0 raw_prd=0.0 phys_prd=0.0 "
                + "lipschitz_bound=2.416259662959742 lipschitz_empirical=0.05924926444169506 "
                + "k=[1.0035141706466675, 1.0035420656204224, 1.0035420656204224] k_product=1.0106357870520244",
            "epoch=2 d_loss=1.915339989047398 g_loss=0.2545810618903488 reg_loss=0.0 raw_prd=0.19499837264216943 "
                + "phys_prd=0.0 lipschitz_bound=3.637017086535497 lipschitz_empirical=0.7331977109235659 "
                + "k=[1.012203335762024, 1.0123072862625122, 1.012252688407898] k_product=1.0372156616239827",
        ], generator: 0x33c6_e25d_8d21_0aed, discriminator: 0x7f4c_5fc5_c883_9ec1),
        "SkylakeX": Pins(epochs: [
            "epoch=1 d_loss=2.146187520882769 g_loss=-0.04405691331008654 reg_loss=0.0 raw_prd=0.0 phys_prd=0.0 "
                + "lipschitz_bound=2.4162641903335853 lipschitz_empirical=0.059248902313184804 "
                + "k=[1.0035141706466675, 1.0035420656204224, 1.0035420656204224] k_product=1.0106357870520244",
            "epoch=2 d_loss=1.923888141917287 g_loss=0.26700826291926205 reg_loss=0.0 raw_prd=0.19499837264216943 "
                + "phys_prd=0.0 lipschitz_bound=3.42171609914742 lipschitz_empirical=0.6448391342104062 "
                + "k=[1.0120371580123901, 1.0121796131134033, 1.0121053457260132] k_product=1.0367636519058774",
        ], generator: 0x691f_9473_9571_1c76, discriminator: 0x24ed_1b21_d755_81e6),
    ]

    @Test func dcganIsUnchangedBitForBit() throws {
        let config = TrialFixtures.config(regularizer: .hinge, epochs: 2)
        let dir = TrialFixtures.temporaryDirectory("pinned")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (lines, outcome) = try TrialFixtures.run(config, directory: dir)
        #expect(outcome?.state == .completed)
        // The figures pinned before the physics distances existed (their arrival changed none).
        let epochs = TrialFixtures.objects(lines).filter { $0["type"] as? String == "epoch" }.map(ResumeTests.trainingMetrics)
        let saved = try #require(try Checkpoint.read(from: dir))
        let measured = Pins(epochs: epochs, generator: Self.fnv1a(saved.generator), discriminator: Self.fnv1a(saved.discriminator))
        let core = BLASCore.loaded
        guard let pins = Self.pinned[core] else {
            Issue.record("""
                no pinned DCGAN figures for OpenBLAS's \(core) kernels (pinned: \(Self.pinned.keys.sorted().joined(separator: ", "))). \
                If this build's DCGAN is unchanged (the test passes under OPENBLAS_CORETYPE=\(Self.pinned.keys.sorted().first!)), \
                add this entry to DCGANPinnedTests.pinned:
                "\(core)": \(measured),
                """)
            return
        }
        #expect(measured.epochs == pins.epochs, "under OpenBLAS's \(core) kernels")
        #expect(measured.generator == pins.generator, "G state hash \(String(measured.generator, radix: 16)) under \(core)")
        #expect(measured.discriminator == pins.discriminator, "D state hash \(String(measured.discriminator, radix: 16)) under \(core)")
    }
}
