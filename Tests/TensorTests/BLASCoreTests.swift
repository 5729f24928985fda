import Testing
import Tensor

/// BLASCore's rule: correct OpenBLAS's generic fallback from the CPU's flags, never a core it
/// recognised, never a user's OPENBLAS_CORETYPE; an inherited lipsweep choice that does not
/// fit this CPU is dropped.
@Suite struct BLASCoreTests {
    static let sse3: Set<String> = ["fpu", "sse", "sse2", "pni", "ssse3"]
    static let avx: Set<String> = sse3.union(["sse4_1", "sse4_2", "avx"])
    static let avx2: Set<String> = avx.union(["avx2", "fma", "f16c"])
    static let avx512: Set<String> = avx2.union(["avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512cd"])
    static let avx512bf16: Set<String> = avx512.union(["avx512_bf16", "avx512_vnni"])

    @Test func prescottFallbackIsCorrectedFromTheFlags() {
        #expect(BLASCore.betterCore(than: "Prescott", cpuFlags: Self.avx512bf16) == "SkylakeX")
        #expect(BLASCore.betterCore(than: "Prescott", cpuFlags: Self.avx512) == "SkylakeX")
        #expect(BLASCore.betterCore(than: "Prescott", cpuFlags: Self.avx2) == "Haswell")
        #expect(BLASCore.betterCore(than: "PRESCOTT", cpuFlags: Self.avx2) == "Haswell")
        // AVX2 without FMA, or AVX-512F without VL (Knights Landing): the next fitting set.
        #expect(BLASCore.betterCore(than: "Prescott", cpuFlags: Self.avx2.subtracting(["fma"])) == nil)
        #expect(BLASCore.betterCore(than: "Prescott", cpuFlags: Self.avx512.subtracting(["avx512vl"])) == "Haswell")
        // Nothing better than SSE3 / AVX alone: leave it.
        #expect(BLASCore.betterCore(than: "Prescott", cpuFlags: Self.sse3) == nil)
        #expect(BLASCore.betterCore(than: "Prescott", cpuFlags: Self.avx) == nil)
        #expect(BLASCore.betterCore(than: "Prescott", cpuFlags: []) == nil)
    }

    @Test(arguments: ["Haswell", "SkylakeX", "Cooperlake", "Zen", "Sandybridge", "Nehalem", "Core2"])
    func recognisedCoresAreNeverOverridden(_ core: String) {
        #expect(BLASCore.betterCore(than: core, cpuFlags: Self.avx512bf16) == nil)
        #expect(BLASCore.decision(loaded: core, cpuFlags: Self.avx512bf16, environment: [:]) == .keep)
    }

    @Test func decisionRespectsTheUsersChoiceAndRechecksInheritedOnes() {
        let fallback = "Prescott", marker = BLASCore.chosenByLipsweepVariable, variable = BLASCore.coreTypeVariable
        #expect(BLASCore.decision(loaded: fallback, cpuFlags: Self.avx512, environment: [:]) == .restart(with: "SkylakeX"))
        #expect(BLASCore.decision(loaded: fallback, cpuFlags: Self.avx2, environment: ["PATH": "/bin"]) == .restart(with: "Haswell"))
        #expect(BLASCore.decision(loaded: fallback, cpuFlags: Self.sse3, environment: [:]) == .keep)
        // The user's value, even one slower than ours or one this CPU lacks: theirs.
        #expect(BLASCore.decision(loaded: fallback, cpuFlags: Self.avx512, environment: [variable: "Prescott"]) == .keep)
        #expect(BLASCore.decision(loaded: "SkylakeX", cpuFlags: Self.avx2, environment: [variable: "SkylakeX"]) == .keep)
        // After our restart (variable and marker agree) on a CPU that has the kernels: no loop.
        #expect(BLASCore.decision(loaded: "SkylakeX", cpuFlags: Self.avx512, environment: [variable: "SkylakeX", marker: "SkylakeX"]) == .keep)
        // Our choice inherited on a machine without AVX-512 (a SLURM node): decide afresh.
        #expect(BLASCore.decision(loaded: "SkylakeX", cpuFlags: Self.avx2, environment: [variable: "SkylakeX", marker: "SkylakeX"])
                == .restartUnset)
        // …which then (neither set) settles on what fits, and stops there.
        #expect(BLASCore.decision(loaded: fallback, cpuFlags: Self.avx2, environment: [:]) == .restart(with: "Haswell"))
        #expect(BLASCore.decision(loaded: "Haswell", cpuFlags: Self.avx2, environment: [variable: "Haswell", marker: "Haswell"]) == .keep)
        // A marker that disagrees with the variable: the user changed the variable; theirs.
        #expect(BLASCore.decision(loaded: "SkylakeX", cpuFlags: Self.avx2, environment: [variable: "SkylakeX", marker: "Haswell"]) == .keep)
    }

    @Test func flagsComeFromTheFirstFlagsLine() {
        let cpuinfo = """
            processor\t: 0
            vendor_id\t: GenuineIntel
            model name\t: Intel(R) Xeon(R) Processor
            flags\t\t: fpu sse2 avx2 fma avx512f
            bugs\t\t: spectre_v1

            processor\t: 1
            flags\t\t: fpu
            """
        #expect(BLASCore.cpuFlags(cpuinfo: cpuinfo) == ["fpu", "sse2", "avx2", "fma", "avx512f"])
        #expect(BLASCore.cpuFlags(cpuinfo: "processor : 0\nFeatures : fp asimd\n") == [])
    }

    /// The library names the kernel set it loaded (the key of the per-core pins).
    @Test func loadedCoreIsNamed() {
        #expect(!BLASCore.loaded.isEmpty && BLASCore.loaded != "unknown")
    }
}
