import Calo
import Foundation
import GAN
import Tensor
import TrialProtocol

/// The GAN trainer's throughput (issue 5), under the protocol of torch_twin.py: synthetic
/// data (X ~ U(0,1) images, c ~ N(0,1), asymmetries ~ N(0,1)), 5,120 training events, the
/// preset's batch, hinge loss, d_steps 3, regularizer hinge m = 8, α = 1, lr 1e-4; a warm-up
/// epoch on 4 batches, then one timed epoch. Samples/s = (N div B)·B / seconds.
/// Then the time of one evaluation (preset test events, clusters, prd_runs) and the peak RSS
/// of real workers (`lipsweep train`, tiny and small, 1 epoch) read from /proc/PID/status (VmHWM).
func runGANBench() {
    runGANTrainingBench()
    runGANEvaluationBench()
}

/// Training samples/s of `tiny` and `small` at 1 and 2 threads (`lipsweep-bench gan-train`),
/// each followed by the PyTorch twin's (torch_twin.py through scripts/twin_cpu.py; TWIN=path
/// when it is not at ../shared/bench/) and the ratio, run one after the other so both see the
/// same load; then two 1-thread workers side by side against one alone (`twoWorkerScaling`).
/// `lipsweep-bench gan-train PRESET THREADS` runs one case only (for profiling), without the twin.
func runGANTrainingBench() {
    let (presets, threadCounts) = benchCases()
    let oneCase = CommandLine.arguments.count > 2
    print("== gan trainer (twin protocol: N = 5120, d_steps 3, hinge m=8 α=1) ==")
    for preset in presets {
        for threads in threadCounts {
            let label = "\(preset.rawValue), \(threads) thread\(threads > 1 ? "s" : "")"
            let figures = trainingThroughput(preset, .dcgan, threads: threads)
            print(pad("train \(label)", 34) + figures.text)
            if !oneCase {
                printAgainstTwin(label, figures, twinThroughput(script: "scripts/twin_cpu.py",
                                                                arguments: [preset.rawValue, "\(benchEvents)", "\(threads)"]))
            }
        }
    }
    if !oneCase { for preset in presets { twoWorkerScaling(preset) } }
}

/// Two sweep workers on a 2-core machine: this bench's `gan-train PRESET 1` alone, then two of
/// them started together (separate processes, one BLAS thread each, as `executor.workers: 2`);
/// scaling = (sum of the pair's samples/s) / (the lone one's), 2 when nothing is shared.
func twoWorkerScaling(_ preset: Preset) {
    func start() -> (Process, Pipe)? {
        let p = Process(), out = Pipe()
        p.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        p.arguments = ["gan-train", preset.rawValue, "1"]
        p.standardOutput = out; p.standardError = FileHandle.nullDevice
        return (try? p.run()).map { (p, out) }
    }
    func samplesPerSecond(_ run: (Process, Pipe)) -> Double? {
        let text = String(decoding: run.1.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        run.0.waitUntilExit()
        guard let range = text.range(of: " samples/s") else { return nil }
        return Double(text[..<range.lowerBound].split(separator: " ").last ?? "")
    }
    let label = pad("2 workers \(preset.rawValue), 1 thread each", 34)
    guard let alone = start().flatMap(samplesPerSecond) else { print(label + "skipped: cannot run \(CommandLine.arguments[0])"); return }
    let pair = [start(), start()].compactMap { $0 }
    let rates = pair.compactMap(samplesPerSecond)
    guard rates.count == 2 else { print(label + "skipped: a worker did not report"); return }
    print(label + String(format: "%8.0f + %.0f samples/s against %.0f alone: scaling %.2f×",
                         rates[0], rates[1], alone, (rates[0] + rates[1]) / alone))
}

/// The presets and thread counts named after the section (`… PRESET THREADS`), else tiny and
/// small at 1 and 2 threads.
func benchCases() -> (presets: [Preset], threads: [Int]) {
    let arguments = Array(CommandLine.arguments.dropFirst(2))
    return (arguments.first.flatMap(Preset.init(rawValue:)).map { [$0] } ?? [Preset.tiny, .small],
            arguments.dropFirst().first.flatMap(Int.init).map { [$0] } ?? [1, 2])
}

/// One timed training epoch under the twin protocol: wall-clock samples/s, and samples per
/// CPU-second per thread (a figure less disturbed by other processes on a shared machine).
struct Throughput {
    var seconds: Double, samplesPerSecond: Double, samplesPerCPUSecond: Double
    var text: String {
        String(format: "%8.2f s/epoch  %8.0f samples/s  (%.0f samples per CPU-second/thread)",
               seconds, samplesPerSecond, samplesPerCPUSecond)
    }
}

/// The twin protocol's data size.
let benchEvents = 5120

func trainingThroughput(_ preset: Preset, _ architecture: Architecture, threads: Int) -> Throughput {
    let n = benchEvents, batch = PresetValues(preset).batch, model = ModelConfig(preset: preset, architecture: architecture)
    let options = TrainingOptions(batch: batch, loss: .hinge, discriminatorSteps: 3, regressionWeight: 1, learningRate: 1e-4,
                                  regularizer: Regularizer(kind: .hinge, alpha: 1, margin: 8), seed: 1)
    BLAS.threads = threads
    defer { BLAS.threads = 1 }
    let warm = GANTrainer(model: model, options: options, data: syntheticTrainingSet(4 * batch, seed: 2))
    _ = try? warm.trainEpoch()
    let trainer = GANTrainer(model: model, options: options, data: syntheticTrainingSet(n, seed: 1))
    let start = DispatchTime.now().uptimeNanoseconds, cpuStart = processCPUSeconds()
    _ = try? trainer.trainEpoch()
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    let cpu = processCPUSeconds() - cpuStart
    let samples = Double(n / batch * batch)
    return Throughput(seconds: seconds, samplesPerSecond: samples / seconds,
                      samplesPerCPUSecond: samples / (cpu / Double(threads)))
}

/// What an evaluation of `preset` needs: its sizes, simulated training and held-out events
/// (seed 1), and a randomly initialised generator (seed 1).
func evaluationSetup(_ preset: Preset) -> (p: PresetValues, trial: TrialData, generator: Generator) {
    let p = PresetValues(preset)
    let events = ShowerSimulator.simulate(count: p.trainEvents + p.testEvents, seed: 1)
    let trial = TrialData.make(train: events.slice(0..<p.trainEvents),
                               test: events.slice(p.trainEvents..<(p.trainEvents + p.testEvents)), zOffset: 7)
    var rng = SeededRandom(seed: 1)
    return (p, trial, Generator(config: ModelConfig(preset: preset), maxBatch: p.batch, rng: &rng))
}

/// Time of one evaluation and the peak RSS of a real worker.
func runGANEvaluationBench() {
    for preset in [Preset.tiny, .small] {
        let (p, trial, g) = evaluationSetup(preset)
        guard let evaluator = try? Evaluator(test: trial.test, statistics: trial.statistics, clusters: p.clusters,
                                             runs: p.prdRuns, zOffset: 7, threshold: 0.01) else { continue }
        let start = DispatchTime.now().uptimeNanoseconds
        _ = try? evaluator.evaluate(g, seed: 1)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        print(pad("evaluation \(preset.rawValue) (\(p.testEvents) events, k=\(p.clusters), runs \(p.prdRuns))", 34)
              + String(format: "%8.2f s (1 thread)", seconds))
    }
    // Peak memory of a real worker process.
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("lipsweep")
    for preset in ["tiny", "small"] {
        let p = Process()
        p.executableURL = binary
        p.arguments = ["train", "--preset", preset, "--epochs", "1", "--threads", "1"]
        p.standardOutput = FileHandle.nullDevice; p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { print("peak RSS: \(binary.path) not found (build the lipsweep product)"); return }
        // VmHWM of the child itself (getrusage's children figure would count the pages of
        // this process the child shared between fork and exec).
        var peakKB = 0
        while p.isRunning {
            if let status = try? String(contentsOfFile: "/proc/\(p.processIdentifier)/status", encoding: .utf8),
               let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
               let kb = Int(line.split(separator: " ").dropFirst().first ?? "") {
                peakKB = max(peakKB, kb)
            }
            usleep(20_000)
        }
        print(pad("worker peak RSS (\(preset), 1 epoch + eval)", 34) + String(format: "%8.0f MB", Double(peakKB) / 1024))
    }
}

/// User + system CPU time of this process (all threads).
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}
