import Foundation
import Tensor

// OpenBLAS chose its kernels when it loaded; on a CPU it does not recognise, generic SSE3 ones.
// Restart once with OPENBLAS_CORETYPE set to better ones (Tensor's BLASCore explains why).
BLASCore.restartWithBetterKernelsIfNeeded(program: "lipsweep-bench")

// `lipsweep-bench [section|all]`: throughput figures in release mode (`make bench` runs `all`).
// Each section lives in its own file as a `BenchSection`; add yours to this list.
let sections: [BenchSection] = [
    nnBenchSection,
    nnLayersBenchSection,
    im2colBenchSection,
    BenchSection(name: "calo", summary: "simulator, features, npz I/O") { runCaloBench() },
    BenchSection(name: "metrics", summary: "k-means and PRD at the preset shapes") { runMetricsBench() },
    BenchSection(name: "gan", summary: "GAN training samples/s (twin protocol), evaluation time, worker RSS") { runGANBench() },
    BenchSection(name: "distances", summary: "evaluation per epoch, PRD only vs PRD + FPD/KPD/KID/W1 (tiny, small)") {
        runPhysicsDistanceBench()
    },
    // The issue's figures (same as gan); `gan-train PRESET THREADS` times one training case only (profiling).
    resnetBenchSection,
    BenchSection(name: "gan-train", summary: "as gan; with PRESET THREADS, that training case only", inAll: false) {
        if CommandLine.arguments.count > 2 { runGANTrainingBench() } else { runGANBench() }
    },
    kernelsBenchSection,
    kernelFiguresBenchSection,
    rooflineBenchSection,
]

let requested = CommandLine.arguments.dropFirst().first ?? "all"
let names = sections.map(\.name)
if requested == "-h" || requested == "--help" {
    print("usage: lipsweep-bench [\((names + ["all"]).joined(separator: "|"))]")
} else if requested == "all" {
    for s in sections where s.inAll { s.run() }
} else if let s = sections.first(where: { $0.name == requested }) {
    s.run()
} else {
    FileHandle.standardError.write(Data(
        "lipsweep-bench: unknown section '\(requested)'; use one of: \((names + ["all"]).joined(separator: ", "))\n".utf8))
    exit(2)
}
