import Foundation
import Tensor
import Testing

/// lipsweep restarts itself with OPENBLAS_CORETYPE set when OpenBLAS fell back to its generic
/// Prescott kernels on a CPU that has better ones (Tensor's BLASCore), and leaves a user's own
/// OPENBLAS_CORETYPE alone. OpenBLAS names the kernels it loads on a "Core: NAME" line when
/// OPENBLAS_VERBOSE=2: one line per load, so a restarted process prints two.
@Suite struct OpenBLASCoreTests {
    static let chosenByUs = [BLASCore.coreTypeVariable, BLASCore.chosenByLipsweepVariable]

    /// The kernel sets OpenBLAS loaded, in order, from a run's output.
    static func loadedCores(_ r: Binary.Result) -> [String] {
        (r.stdout + "\n" + r.stderr).split(separator: "\n").compactMap { line in
            line.hasPrefix("Core: ") ? String(line.dropFirst(6)).trimmingCharacters(in: .whitespaces) : nil
        }
    }

    @Test func fallbackKernelsAreReplacedByTheBetterOnes() throws {
        let dir = Repo.scratch("blas-core")
        defer { try? FileManager.default.removeItem(at: dir) }
        let output = dir.appendingPathComponent("x.npz").path
        let r = try Binary.run(["simulate", "--events", "10", "--output", output], environment: ["OPENBLAS_VERBOSE": "2"],
                               unsetting: Self.chosenByUs)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: output))
        let cores = Self.loadedCores(r)
        let first = try #require(cores.first, "no `Core:` line with OPENBLAS_VERBOSE=2: \(r.stdout) \(r.stderr)")
        guard first == BLASCore.genericFallback else {
            #expect(cores == [first], "OpenBLAS recognised the CPU (\(first)): lipsweep must not restart")
            try Test.cancel("OpenBLAS recognises this CPU (Core: \(first)): no fallback to correct")
        }
        guard let better = BLASCore.betterCore(than: first, cpuFlags: BLASCore.cpuFlags()) else {
            #expect(cores == [first], "nothing better than \(first) on this CPU: lipsweep must not restart")
            try Test.cancel("this CPU has neither AVX2+FMA nor AVX-512: \(first) is the best OpenBLAS has for it")
        }
        #expect(cores == [first, better])
        // The hidden command `make test` asks: the same choice, and the kernels really loaded.
        let setting = try Binary.run(["openblas-coretype"], unsetting: Self.chosenByUs)
        #expect(setting.status == 0 && setting.stdout == better + "\n")
        let loaded = try Binary.run(["openblas-coretype", "--loaded"], unsetting: Self.chosenByUs)
        #expect(loaded.stdout == better + "\n")
    }

    @Test func anExplicitCoreTypeIsRespected() throws {
        let r = try Binary.run(["openblas-coretype", "--loaded"],
                               environment: ["OPENBLAS_VERBOSE": "2", BLASCore.coreTypeVariable: "Prescott"],
                               unsetting: [BLASCore.chosenByLipsweepVariable])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Self.loadedCores(r) == ["Prescott"])
        #expect(r.stdout.hasSuffix("Prescott\n"))
        let setting = try Binary.run(["openblas-coretype"], environment: [BLASCore.coreTypeVariable: "Prescott"],
                                     unsetting: [BLASCore.chosenByLipsweepVariable])
        #expect(setting.stdout == "Prescott\n")
    }
}
