import CBLAS
#if canImport(Glibc)
import Glibc
#endif

/// Which OpenBLAS kernel set ("core") runs our GEMMs, and which one should.
///
/// A DYNAMIC_ARCH OpenBLAS (Debian's libopenblas0-pthread) picks its kernels once, when the
/// library loads (before `main`), from the CPU's family/model numbers. A CPU model it does
/// not know — common on cloud VMs, whose CPU reports a generic "Intel(R) Xeon(R) Processor"
/// and a model number newer than the library — makes it fall back to its generic **Prescott**
/// (SSE3) kernels, although the CPU has AVX2/FMA or AVX-512: GEMMs then run 2–2.5× slower
/// and the GAN trainer 1.5–2× (README, Speed). Setting `OPENBLAS_CORETYPE` before the library
/// loads overrides the choice, so the executables restart themselves once with it set
/// (`restartWithBetterKernelsIfNeeded`), and `make test` exports the same choice for the test
/// runner (`lipsweep openblas-coretype` prints it). The rule lives here only.
///
/// Rules: only a fallback is corrected (a core OpenBLAS recognised is never overridden), and a
/// user's own `OPENBLAS_CORETYPE` is always respected.
public enum BLASCore {
    /// The variable OpenBLAS reads at load time to force a kernel set.
    public static let coreTypeVariable = "OPENBLAS_CORETYPE"
    /// Set beside `OPENBLAS_CORETYPE` when lipsweep (not the user) chose the value: the choice
    /// is inherited by every child process (trial workers, SLURM jobs), and a child on another
    /// machine (a SLURM node with an older CPU) must be able to tell it may re-decide.
    public static let chosenByLipsweepVariable = "LIPSWEEP_OPENBLAS_CORETYPE"

    /// The kernel set OpenBLAS loaded, as `openblas_get_corename()` names it ("Prescott",
    /// "Haswell", "SkylakeX", "Cooperlake", "Zen", …).
    public static var loaded: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }

    /// The core DYNAMIC_ARCH OpenBLAS loads when it does not recognise the CPU (dynamic.c:
    /// "Falling back to Prescott core"). A real Prescott-class CPU lacks AVX, so Prescott on a
    /// CPU with AVX2 is always that fallback.
    public static let genericFallback = "Prescott"

    /// A better kernel set and the /proc/cpuinfo flags it needs, best first.
    /// AVX-512 (F, BW, VL, DQ: what OpenBLAS's SkylakeX kernels use) → SkylakeX; AVX2 + FMA →
    /// Haswell. Cooperlake (SkylakeX's kernels plus bf16 `sbgemm`, for CPUs with avx512_bf16)
    /// runs our sgemm shapes no faster than SkylakeX (measured 2025-…, README Speed), and
    /// SkylakeX also fits AVX-512 CPUs without bf16, so it is the one choice for AVX-512.
    public static let candidates: [(core: String, flags: Set<String>)] = [
        ("SkylakeX", ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx2", "fma"]),
        ("Haswell", ["avx2", "fma"]),
    ]

    /// The kernel set OpenBLAS should have loaded instead of `loaded`, or nil when `loaded` is
    /// not the generic fallback or the CPU has nothing better (pure: for tests).
    public static func betterCore(than loaded: String, cpuFlags: Set<String>) -> String? {
        guard loaded.caseInsensitiveCompare(genericFallback) == .orderedSame else { return nil }
        return candidates.first { $0.flags.isSubset(of: cpuFlags) }?.core
    }

    /// Whether this CPU has the instructions `core`'s kernels use (true for a core we do not
    /// choose ourselves: a user's choice is theirs to check).
    public static func fits(_ core: String, cpuFlags: Set<String>) -> Bool {
        candidates.first { $0.core.caseInsensitiveCompare(core) == .orderedSame }.map { $0.flags.isSubset(of: cpuFlags) } ?? true
    }

    /// What a starting process should do about its kernels.
    public enum Decision: Equatable, Sendable {
        /// Run as loaded.
        case keep
        /// Restart with `OPENBLAS_CORETYPE` (and the lipsweep marker) set to this core.
        case restart(with: String)
        /// Restart with neither set: a choice inherited from a lipsweep on another machine
        /// does not fit this CPU, so let OpenBLAS (and then `betterCore`) decide afresh.
        case restartUnset
    }

    /// The decision for a process whose OpenBLAS loaded `loaded`, on a CPU with `cpuFlags`, in
    /// `environment` (pure: for tests). At most two restarts ever follow one another: a
    /// restart sets the variable (which ends the chain, the choice fitting this CPU), or unsets
    /// an unfitting one lipsweep chose (after which only a fitting choice can be made).
    public static func decision(loaded: String, cpuFlags: Set<String>, environment: [String: String]) -> Decision {
        if let forced = environment[coreTypeVariable] {
            let ours = environment[chosenByLipsweepVariable] == forced
            return ours && !fits(forced, cpuFlags: cpuFlags) ? .restartUnset : .keep
        }
        return betterCore(than: loaded, cpuFlags: cpuFlags).map { .restart(with: $0) } ?? .keep
    }

    /// The `OPENBLAS_CORETYPE` this process's OpenBLAS loaded with (nil: OpenBLAS chose by
    /// itself). In an executable, after `restartWithBetterKernelsIfNeeded`, that is the
    /// user's value or lipsweep's choice: `lipsweep openblas-coretype` prints it for `make test`.
    public static var coreTypeInEffect: String? {
        getenv(coreTypeVariable).map { String(cString: $0) }
    }

    /// The feature flags of the first processor in `/proc/cpuinfo`'s text (its `flags` line).
    public static func cpuFlags(cpuinfo: String) -> Set<String> {
        guard let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    /// This machine's CPU flags (empty where /proc/cpuinfo does not exist: then no choice is made).
    public static func cpuFlags() -> Set<String> {
        cpuFlags(cpuinfo: readWholeFile("/proc/cpuinfo") ?? "")
    }

    /// Called first thing in `main` of the executables: when OpenBLAS fell back to generic
    /// kernels on a CPU that has better ones, replaces this process by itself (execv of
    /// /proc/self/exe, the same argv, the same pid) with `OPENBLAS_CORETYPE` set. The variable
    /// has to be there when the library loads, which is before any Swift code runs, hence the
    /// restart; it costs a few milliseconds (README, Speed), against minutes of slower GEMMs.
    /// Children (trial workers) inherit the variable and so need no restart of their own.
    /// Returns (doing nothing) when no restart is needed or execv failed.
    public static func restartWithBetterKernelsIfNeeded(program: String) {
        let decision = decision(loaded: loaded, cpuFlags: cpuFlags(), environment: processEnvironment())
        switch decision {
        case .keep: return
        case let .restart(core):
            setenv(coreTypeVariable, core, 1)
            setenv(chosenByLipsweepVariable, core, 1)
        case .restartUnset:
            unsetenv(coreTypeVariable)
            unsetenv(chosenByLipsweepVariable)
        }
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Still here: the restart failed (no /proc?). Run on with the loaded kernels, and do
        // not hand a choice this process does not run with to its children.
        let failure = String(cString: strerror(errno))
        unsetenv(coreTypeVariable)
        unsetenv(chosenByLipsweepVariable)
        let note = "\(program): note: could not restart with other OpenBLAS kernels than \(loaded): "
            + "execv(/proc/self/exe): \(failure)\n"
        _ = note.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
    }

    private static func processEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            entry += 1
        }
        return result
    }

    private static func readWholeFile(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
