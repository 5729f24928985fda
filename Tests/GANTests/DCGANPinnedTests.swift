import Foundation
import GAN
import Tensor
import Testing
import TestSupport

/// `model.arch: dcgan` (the default) is today's model, bit for bit: a short trial (tiny, 256
/// events, 2 epochs, hinge m = 2, one thread) reproduces the epoch figures and the final
/// parameter, Adam and SN state recorded on main before the ResNet family was added (commit
/// d5595ac, release build).
///
/// The figures depend on the order in which OpenBLAS's kernels sum their products, which
/// differs between its kernel sets (SSE3 Prescott, AVX2 Haswell, AVX-512 SkylakeX, and the
/// Zen, Cooperlake, SapphireRapids… sets OpenBLAS picks on other CPUs). So the figures are
/// pinned for three widely available sets, recorded on a virtualised Xeon with AVX-512, and
/// the trial runs in a child process (`lipsweep train`) under each pinned set this CPU can
/// execute (`OPENBLAS_CORETYPE=NAME`), whatever set the test runner itself loaded: the same
/// pins then hold on Intel and AMD alike, and a CPU whose own kernel set has no pins (an AMD
/// EPYC's Zen) is no reason to fail. Only what cannot be pinned is skipped, with its reason:
/// another architecture, or an OpenBLAS that cannot switch kernel sets (not DYNAMIC_ARCH).
/// A changed figure under a pinned set is a regression.
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

    /// The pinned kernel sets this machine can run the trial under, best last (Prescott's SSE3
    /// is on every x86-64 CPU; Haswell needs AVX2 and FMA; SkylakeX AVX-512, as BLASCore checks),
    /// or the one-line reason none can.
    static func runnableKernelSets(cpuFlags: Set<String>) -> Result<[String], SkipReason> {
        #if arch(x86_64)
        let sets = pinned.keys.filter { BLASCore.fits($0, cpuFlags: cpuFlags) }.sorted()
        return sets.isEmpty ? .failure(SkipReason(text: "this CPU runs none of the pinned kernel sets")) : .success(sets)
        #else
        return .failure(SkipReason(text: "the DCGAN figures are pinned for x86-64 OpenBLAS kernel sets only"))
        #endif
    }

    struct SkipReason: Error { var text: String }

    /// The figures of the pinned trial run by `lipsweep train` under OpenBLAS's `core` kernels,
    /// in a child whose environment is this process's with `inherited` merged in (a parent that
    /// loaded other kernels), then `OPENBLAS_CORETYPE=core` and one thread; nil with the reason
    /// when this OpenBLAS does not load `core` when asked.
    static func measure(under core: String, inherited: [String: String] = [:]) throws -> Result<Pins, SkipReason> {
        let environment = inherited.merging([BLASCore.coreTypeVariable: core, "OPENBLAS_NUM_THREADS": "1"]) { $1 }
        // A user's choice (no lipsweep marker) is what the child must keep, not re-decide.
        let unset = [BLASCore.chosenByLipsweepVariable]
        let loaded = try Binary.run(["openblas-coretype", "--loaded"], environment: environment, unsetting: unset)
        let name = loaded.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard loaded.status == 0, name.caseInsensitiveCompare(core) == .orderedSame else {
            return .failure(SkipReason(text: "OpenBLAS loads \(name.isEmpty ? loaded.stderr : name) under OPENBLAS_CORETYPE=\(core) "
                + "(not a DYNAMIC_ARCH build?): its kernels cannot be pinned"))
        }
        let dir = TrialFixtures.temporaryDirectory("pinned-\(core)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let configFile = dir.appendingPathComponent("trial.json")
        try TrialFixtures.config(regularizer: .hinge, epochs: 2).workerFileText.write(to: configFile, atomically: true, encoding: .utf8)
        let run = try Binary.run(["train", "--config", configFile.path, "--checkpoint-dir", dir.path, "--threads", "1"],
                                 environment: environment, unsetting: unset)
        #expect(run.status == 0, "lipsweep train under \(core): \(run.stderr)")
        let objects = TrialFixtures.objects(run.stdout.split(separator: "\n").map(String.init))
        #expect(objects.last?["type"] as? String == "end" && objects.last?["state"] as? String == "completed",
                "under \(core): \(run.stdout.suffix(300))")
        // The figures pinned before the physics distances existed (their arrival changed none).
        let epochs = objects.filter { $0["type"] as? String == "epoch" }.map(ResumeTests.trainingMetrics)
        let saved = try #require(try Checkpoint.read(from: dir))
        return .success(Pins(epochs: epochs, generator: fnv1a(saved.generator), discriminator: fnv1a(saved.discriminator)))
    }

    /// Runs the trial under every pinned kernel set this machine has and compares; skips only
    /// when none can run here. Returns the sets checked.
    @discardableResult
    static func checkPins(inherited: [String: String] = [:]) throws -> [String] {
        var checked: [String] = [], skipped: [String] = []
        switch runnableKernelSets(cpuFlags: BLASCore.cpuFlags()) {
        case let .failure(reason): skipped.append(reason.text)
        case let .success(sets):
            for core in sets {
                switch try measure(under: core, inherited: inherited) {
                case let .failure(reason): skipped.append(reason.text)
                case let .success(measured):
                    let pins = pinned[core]!
                    #expect(measured.epochs == pins.epochs, "under OpenBLAS's \(core) kernels")
                    #expect(measured.generator == pins.generator, "G state hash \(String(measured.generator, radix: 16)) under \(core)")
                    #expect(measured.discriminator == pins.discriminator,
                            "D state hash \(String(measured.discriminator, radix: 16)) under \(core)")
                    if measured != pins { print("DCGANPinnedTests: measured under \(core):\n\"\(core)\": \(measured),") }
                    checked.append(core)
                }
            }
        }
        if checked.isEmpty { try Test.cancel(Comment(rawValue: skipped.first ?? "no pinned kernel set to run")) }
        return checked
    }

    @Test func dcganIsUnchangedBitForBit() throws {
        let checked = try Self.checkPins()
        #expect(checked.contains("Prescott"), "Prescott's SSE3 kernels run on every x86-64 CPU")
    }

    /// What an AMD machine's test runner does: its OpenBLAS loaded Zen kernels, which have no
    /// pins, and every child inherits that `OPENBLAS_CORETYPE`. The pins hold all the same,
    /// since each child asks for a pinned set itself.
    @Test func aRunnerOnUnpinnedKernelsStillChecksThePins() throws {
        let unpinned = "Zen"
        #expect(Self.pinned[unpinned] == nil)
        let inherited = [BLASCore.coreTypeVariable: unpinned]
        let loaded = try Binary.run(["openblas-coretype", "--loaded"], environment: inherited,
                                    unsetting: [BLASCore.chosenByLipsweepVariable])
        guard loaded.stdout == unpinned + "\n" else {
            try Test.cancel("this OpenBLAS or CPU does not run \(unpinned) kernels (it loaded \(loaded.stdout.trimmingCharacters(in: .newlines)))")
        }
        try Self.checkPins(inherited: inherited)
    }
}
