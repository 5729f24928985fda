import Foundation
import Tensor

// `make bench`: throughput figures of the numeric core, in release mode.
print("lipsweep benchmarks")
runCaloBench()
runMetricsBench()
runGANBench()
