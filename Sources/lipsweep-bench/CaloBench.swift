import Calo
import Foundation

/// Calorimeter data throughput (issue 3): simulator and physics features on the paper
/// preset's 60,000 events, plus .npz write and read of the same events.
func runCaloBench() {
    let n = 60_000
    let cores = ProcessInfo.processInfo.activeProcessorCount
    print("== calo (\(n) events, \(cores) cores) ==")

    // Wall time and this process's CPU time: on a shared machine the CPU figure is the one
    // that says what the code costs (wall time includes waiting for a core).
    func cpuSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
    func timed<T>(_ body: () throws -> T) rethrows -> (T, (wall: Double, cpu: Double)) {
        let start = DispatchTime.now().uptimeNanoseconds, cpuStart = cpuSeconds()
        let result = try body()
        return (result, (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, cpuSeconds() - cpuStart))
    }
    func line(_ what: String, _ t: (wall: Double, cpu: Double), _ count: Int = n) {
        print(what.padding(toLength: 38, withPad: " ", startingAt: 0)
              + String(format: "wall %7.3f s %9.0f events/s | cpu %7.3f s %9.0f events/cpu-s",
                       t.wall, Double(count) / t.wall, t.cpu, Double(count) / t.cpu))
    }

    let (_, single) = timed { ShowerSimulator.simulate(count: 10_000, seed: 1, threads: 1) }
    line("simulate, 1 thread (10,000 events)", single, 10_000)
    let (events, simulated) = timed { ShowerSimulator.simulate(count: n, seed: 1, threads: cores) }
    line("simulate, \(cores) threads", simulated)

    var features = [Float](repeating: 0, count: n * PhysicsFeatures.count)
    let (_, featureSeconds) = timed {
        features.withUnsafeMutableBufferPointer { out in
            events.energy.withUnsafeBufferPointer { energy in
                events.momentum.withUnsafeBufferPointer { momentum in
                    events.point.withUnsafeBufferPointer { point in
                        PhysicsFeatures.compute(energy: energy, momentum: momentum, point: point, into: out)
                    }
                }
            }
        }
    }
    line("54 features, 1 thread", featureSeconds)
    let (_, asymmetrySeconds) = timed { PhysicsFeatures.asymmetries(events) }
    line("2 asymmetries only, 1 thread", asymmetrySeconds)

    let url = FileManager.default.temporaryDirectory.appendingPathComponent("lipsweep-bench-\(getpid()).npz")
    defer { try? FileManager.default.removeItem(at: url) }
    do {
        let (_, writeSeconds) = try timed { try CaloNPZ.write(events, to: url) }
        line("npz write (stored, float32)", writeSeconds)
        let (_, readSeconds) = try timed { try CaloNPZ.read(url) }
        line("npz read (stored, float32)", readSeconds)
    } catch {
        print("npz: \(error)")
    }
}
