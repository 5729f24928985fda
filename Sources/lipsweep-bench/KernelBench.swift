import Foundation
import GAN
import Tensor
import TrialProtocol

// `lipsweep-bench kernels [CORE…]`: what BLASCore's restart buys. OpenBLAS picks its kernels
// when it loads, so each kernel set runs in its own child process (`kernel-figures GROUP` with
// OPENBLAS_CORETYPE set): OpenBLAS's generic fallback (Prescott) first, then this process's
// kernels (BLASCore's choice, or OpenBLAS's own where it recognised the CPU) or the CORE…
// named, group after group, so that each pair sees the same machine load. The speed-up is
// per figure: > 1 means faster than Prescott.

let kernelsBenchSection = BenchSection(name: "kernels", summary: "GEMM, training and evaluation: OpenBLAS's Prescott fallback vs the kernels in use") {
    runKernelComparison()
}
let kernelFiguresBenchSection = BenchSection(name: "kernel-figures", summary: "one group's figures for `kernels` (GROUP: \(KernelFigureGroup.allCases.map(\.rawValue).joined(separator: "|")))", inAll: false) {
    runKernelFigures()
}

/// One measured figure, as the child prints it (tab-separated) and the parent reads it.
struct KernelFigure {
    var name: String, value: Double, unit: String, higherIsBetter: Bool

    var line: String { ["figure", name, String(value), unit, higherIsBetter ? "higher" : "lower"].joined(separator: "\t") }

    init(_ name: String, _ value: Double, _ unit: String, higherIsBetter: Bool) {
        (self.name, self.value, self.unit, self.higherIsBetter) = (name, value, unit, higherIsBetter)
    }

    init?(line: Substring) {
        let f = line.split(separator: "\t", omittingEmptySubsequences: false)
        guard f.count == 5, f[0] == "figure", let value = Double(f[2]) else { return nil }
        self.init(String(f[1]), value, String(f[3]), higherIsBetter: f[4] == "higher")
    }
}

enum KernelFigureGroup: String, CaseIterable {
    case gemm, dcgan, resnet, evaluation

    /// The figures of this group in this process (one BLAS thread unless named).
    func figures() -> [KernelFigure] {
        switch self {
        case .gemm:
            BLAS.threads = 1
            var figures = [KernelFigure("sgemm 512×512×512, 1 thread", sgemmRate(m: 512, n: 512, k: 512).cpu, "GFLOP/s (CPU)",
                                        higherIsBetter: true)]
            // One call of every GEMM a training batch issues per layer (G at batch B, D at 2B),
            // times its calls per batch: the GEMM time of the preset's layers.
            for preset in PresetShapes.all.prefix(2) {
                var seconds = 0.0
                let layers = preset.generator.map { ($0, preset.batch) } + preset.discriminator.map { ($0, 2 * preset.batch) }
                for (layer, b) in layers {
                    let calls = Double((b + layer.chunk(batch: b) - 1) / layer.chunk(batch: b))
                    for g in layer.gemms(batch: b) {
                        let rate = sgemmRate(m: g.m, n: g.n, k: g.k, transA: g.tA, transB: g.tB).cpu
                        seconds += calls * 2 * Double(g.m * g.n * g.k) / (rate * 1e9)
                    }
                }
                figures.append(KernelFigure("sgemm, \(preset.name)'s layer shapes (fwd, dW, dx), 1 thread", seconds * 1000,
                                            "ms (CPU)", higherIsBetter: false))
            }
            return figures
        case .dcgan, .resnet:
            let architecture: Architecture = self == .dcgan ? .dcgan : .resnet
            return [Preset.tiny, .small].flatMap { preset in
                [1, 2].flatMap { threads in
                    let t = trainingThroughput(preset, architecture, threads: threads)
                    let label = "train \(rawValue) \(preset.rawValue), \(threads) thread\(threads > 1 ? "s" : "")"
                    return [KernelFigure(label, t.samplesPerSecond, "samples/s", higherIsBetter: true),
                            KernelFigure(label, t.samplesPerCPUSecond, "samples/CPU-s/thread", higherIsBetter: true)]
                }
            }
        case .evaluation:
            BLAS.threads = 1
            return [Preset.tiny, .small].flatMap { preset in
                let (p, trial, g) = evaluationSetup(preset)
                return [false, true].compactMap { distances -> KernelFigure? in
                    guard let evaluator = try? Evaluator(test: trial.test, statistics: trial.statistics, clusters: p.clusters,
                                                         runs: p.prdRuns, zOffset: 7, threshold: 0.01,
                                                         physicsDistances: distances) else { return nil }
                    let t = measure(minimumSeconds: 0) { _ = try? evaluator.evaluate(g, seed: 1) }
                    return KernelFigure("evaluation \(preset.rawValue), PRD\(distances ? " + distances" : " only"), 1 thread",
                                        t.bestCPU, "s (CPU)", higherIsBetter: false)
                }
            }
        }
    }
}

/// `kernel-figures GROUP`: the child's side, figures on stdout.
func runKernelFigures() {
    guard let name = CommandLine.arguments.dropFirst(2).first, let group = KernelFigureGroup(rawValue: name) else {
        FileHandle.standardError.write(Data("usage: lipsweep-bench kernel-figures \(KernelFigureGroup.allCases.map(\.rawValue).joined(separator: "|"))\n".utf8))
        exit(2)
    }
    print("core\t\(BLASCore.loaded)")
    for figure in group.figures() { print(figure.line) }
}

func runKernelComparison() {
    let baseline = BLASCore.genericFallback
    let named = Array(CommandLine.arguments.dropFirst(2))
    let cores = named.isEmpty ? [BLASCore.loaded] : named
    let why = BLASCore.coreTypeInEffect == nil ? "OpenBLAS's own choice" : "OPENBLAS_CORETYPE=\(BLASCore.coreTypeInEffect!)"
    print("== kernels: OpenBLAS's generic fallback (\(baseline)) vs \(cores.joined(separator: ", "))"
          + (named.isEmpty ? " (in use: \(why))" : "") + "; each in its own process, one after the other ==")
    guard cores.contains(where: { $0.caseInsensitiveCompare(baseline) != .orderedSame }) else {
        print("  this process runs \(baseline) and the CPU has nothing better (BLASCore): nothing to compare")
        return
    }
    let columns = [baseline] + cores
    print(pad("figure", 58) + columns.map { pad($0, 12) }.joined() + cores.map { pad("×\($0)", 12) }.joined())
    for group in KernelFigureGroup.allCases {
        var runs: [[KernelFigure]] = []
        for core in columns {
            switch kernelFigures(group, core: core) {
            case let .success(figures): runs.append(figures)
            case let .failure(problem):
                print("  \(group.rawValue) under \(core): \(problem.description)")
                runs = []
            }
            if runs.isEmpty { break }
        }
        guard let first = runs.first else { continue }
        for (i, figure) in first.enumerated() {
            let values = runs.map { $0.indices.contains(i) ? $0[i].value : .nan }
            let speedups = values.dropFirst().map { figure.higherIsBetter ? $0 / values[0] : values[0] / $0 }
            print(pad("\(figure.name) [\(figure.unit)]", 58)
                  + values.map { pad(fixed($0, $0 < 10 ? 3 : 1), 12) }.joined()
                  + speedups.map { pad(fixed($0, 2) + "×", 12) }.joined())
        }
    }
}

struct KernelRunFailed: Error, CustomStringConvertible { var description: String }

/// Runs `lipsweep-bench kernel-figures GROUP` with OPENBLAS_CORETYPE=`core` and reads its figures.
func kernelFigures(_ group: KernelFigureGroup, core: String) -> Result<[KernelFigure], KernelRunFailed> {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    p.arguments = ["kernel-figures", group.rawValue]
    var environment = ProcessInfo.processInfo.environment
    environment[BLASCore.coreTypeVariable] = core
    environment[BLASCore.chosenByLipsweepVariable] = nil
    p.environment = environment
    let out = Pipe()
    p.standardOutput = out
    do { try p.run() } catch { return .failure(KernelRunFailed(description: "cannot start \(p.executableURL!.path): \(error)")) }
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    let lines = text.split(separator: "\n")
    guard p.terminationStatus == 0 else { return .failure(KernelRunFailed(description: "exit status \(p.terminationStatus)")) }
    let loaded = lines.first { $0.hasPrefix("core\t") }.map { String($0.dropFirst(5)) } ?? "?"
    guard loaded.caseInsensitiveCompare(core) == .orderedSame else {
        return .failure(KernelRunFailed(description: "OpenBLAS loaded \(loaded), not \(core) (a core this library lacks?)"))
    }
    return .success(lines.compactMap(KernelFigure.init(line:)))
}
