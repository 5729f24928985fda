import Foundation
import Tensor

// `make bench`: throughput figures of the numeric core, in release mode.
print("lipsweep benchmarks")
// `lipsweep-bench [calo|metrics|gan|gan-train]…` runs only the named sections (default: all).
let sections = Set(CommandLine.arguments.dropFirst())
if sections.isEmpty || sections.contains("calo") { runCaloBench() }
if sections.isEmpty || sections.contains("metrics") { runMetricsBench() }
if sections.isEmpty || sections.contains("gan") { runGANBench() }
if sections.contains("gan-train") { runGANTrainingBench() }
