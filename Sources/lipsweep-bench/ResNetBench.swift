import Foundation
import TrialProtocol
import GAN

// `lipsweep-bench resnet [PRESET THREADS]`: training samples/s of the ResNet family (issue 14)
// against its PyTorch twin (scripts/twin_resnet.py bench), both under the protocol of the DCGAN
// bench (torch_twin.py's: synthetic data, N = 5120, preset batch, hinge loss, d_steps 3, hinge
// regularizer m = 8, α = 1, lr 1e-4, a warm-up run, one timed epoch), run one after the other in
// the same process tree so both see the same machine load. Goal: ≥ 1.3× the twin.

let resnetBenchSection = BenchSection(name: "resnet", summary: "ResNet family training samples/s against its PyTorch twin") {
    runResNetBench()
}

func runResNetBench() {
    let (presets, threadCounts) = benchCases()
    print("== resnet trainer vs PyTorch twin (twin protocol: N = \(benchEvents), d_steps 3, hinge m=8 α=1) ==")
    for preset in presets {
        for threads in threadCounts {
            let label = "resnet \(preset.rawValue), \(threads) thread\(threads > 1 ? "s" : "")"
            let swift = trainingThroughput(preset, .resnet, threads: threads)
            print(pad("train " + label, 34) + swift.text)
            printAgainstTwin(label, swift, twinThroughput(script: "scripts/twin_resnet.py",
                                                          arguments: ["bench", preset.rawValue, "\(benchEvents)", "\(threads)"]))
        }
    }
}

/// The twin's line under ours, and the ratio of the two.
func printAgainstTwin(_ label: String, _ swift: Throughput, _ twin: Result<(wall: Double, cpu: Double), TwinUnavailable>) {
    switch twin {
    case let .success(twin):
        print(pad("twin  " + label, 34) + String(repeating: " ", count: 17)
              + String(format: "%8.0f samples/s  (%.0f samples per CPU-second/thread)", twin.wall, twin.cpu))
        print(pad("  ratio swift / twin", 34) + String(format: "%8.2f× wall-clock   %.2f× per CPU-second",
                                                        swift.samplesPerSecond / twin.wall,
                                                        swift.samplesPerCPUSecond / twin.cpu))
    case let .failure(reason):
        print(pad("twin  " + label, 34) + "skipped: \(reason.description)")
    }
}

struct TwinUnavailable: Error, CustomStringConvertible { var description: String }

/// Runs `python3 SCRIPT ARGUMENTS…` (from the package directory: `make bench` runs there) and
/// parses its `samples/s=…` and `CPU-second/thread=…` figures: `scripts/twin_resnet.py bench
/// PRESET N THREADS` (the ResNet twin) or `scripts/twin_cpu.py PRESET N THREADS` (torch_twin.py).
func twinThroughput(script: String, arguments: [String]) -> Result<(wall: Double, cpu: Double), TwinUnavailable> {
    guard FileManager.default.fileExists(atPath: script) else {
        return .failure(TwinUnavailable(description: "\(script) not found (run from the package directory)"))
    }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", script] + arguments
    let out = Pipe(), err = Pipe()
    p.standardOutput = out; p.standardError = err
    do { try p.run() } catch { return .failure(TwinUnavailable(description: "cannot run python3 (\(error))")) }
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    guard p.terminationStatus == 0 else {
        let reason = errors.contains("No module named 'torch'") ? "torch is not installed (make deps installs it as root)"
            : "the twin failed: \(errors.split(separator: "\n").last ?? "")"
        return .failure(TwinUnavailable(description: reason))
    }
    func value(_ key: String) -> Double? {
        guard let range = text.range(of: key + "=") else { return nil }
        return Double(text[range.upperBound...].prefix { $0.isNumber || $0 == "." })
    }
    guard let wall = value("samples/s"), let cpu = value("CPU-second/thread") else {
        return .failure(TwinUnavailable(description: "unreadable twin output: \(text)"))
    }
    return .success((wall, cpu))
}
