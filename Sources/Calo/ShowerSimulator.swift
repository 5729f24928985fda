import Foundation
import Tensor
import TrialProtocol

/// The built-in simulated dataset of docs/science.md §2.1: a parametric electromagnetic shower model in
/// the style of Grindhammer & Peters, so every command works with no download.
///
/// Events are generated in fixed chunks of `chunkSize`; chunk k draws from
/// `SeededRandom(seed: seed, stream: k)`. The chunks may run on several threads, yet the
/// events depend only on (seed, event index), never on the thread count.
public enum ShowerSimulator {
    // Constants of docs/science.md §2.1; all lengths in cell units (a cell is 2 cm).
    public static let radiationLength = 0.875   // X0 = 1.75 cm
    public static let moliereRadius = 1.75      // R_M = 3.5 cm
    public static let criticalEnergy = 0.011    // E_c in GeV
    public static let atomicNumber = 82.0       // Z (lead)
    /// Readout cut of the simulated cells (GeV): the `threshold` default for this dataset.
    public static let readoutThreshold = Float(TrialConfig.Dataset.defaultReadoutThreshold)
    public static let noiseSigma = 0.005        // electronic noise per cell, GeV
    /// Events per independently seeded chunk. Part of the definition of the stream: changing
    /// it changes the events a seed produces.
    public static let chunkSize = 256

    /// `count` events for `seed`. `threads` only changes the speed, not the result.
    public static func simulate(count: Int, seed: UInt64,
                                threads: Int = ProcessInfo.processInfo.activeProcessorCount) -> CaloEvents {
        precondition(count >= 0, "simulate: count must be ≥ 0")
        var events = CaloEvents(zeros: count)
        let chunks = (count + chunkSize - 1) / chunkSize
        events.energy.withUnsafeMutableBufferPointer { energy in
            events.momentum.withUnsafeMutableBufferPointer { momentum in
                events.point.withUnsafeMutableBufferPointer { point in
                    let out = Output(energy: energy.baseAddress, momentum: momentum.baseAddress, point: point.baseAddress)
                    let work: @Sendable (Int) -> Void = { chunk in
                        var rng = SeededRandom(seed: seed, stream: UInt64(chunk))
                        var spotCounts = [Int32](repeating: 0, count: CaloGrid.cells)
                        for e in chunk * chunkSize ..< min(count, (chunk + 1) * chunkSize) {
                            simulateEvent(e, into: out, rng: &rng, spotCounts: &spotCounts)
                        }
                    }
                    if threads <= 1 || chunks <= 1 {
                        for chunk in 0..<chunks { work(chunk) }
                    } else {
                        // Chunks are handed out dynamically; each writes only its own events.
                        let next = ChunkCounter()
                        DispatchQueue.concurrentPerform(iterations: min(threads, chunks)) { _ in
                            while let chunk = next.take(below: chunks) { work(chunk) }
                        }
                    }
                }
            }
        }
        return events
    }

    /// Raw destinations of the three arrays, shared by the chunk workers (disjoint writes).
    private struct Output: @unchecked Sendable {
        let energy: UnsafeMutablePointer<Float>?
        let momentum: UnsafeMutablePointer<Float>?
        let point: UnsafeMutablePointer<Float>?
    }

    private final class ChunkCounter: @unchecked Sendable {
        private let lock = NSLock()
        private var next = 0
        func take(below n: Int) -> Int? {
            lock.lock(); defer { lock.unlock() }
            guard next < n else { return nil }
            next += 1
            return next - 1
        }
    }

    /// One event, in the order of docs/science.md §2.1: conditions; then per spot depth t, core/tail
    /// choice, radius draw u, angle φ; then the visible-energy fluctuation; then cell noise
    /// (cells in row-major order, drawn in pairs; 900 is even).
    private static func simulateEvent(_ e: Int, into out: Output, rng: inout SeededRandom,
                                      spotCounts: inout [Int32]) {
        // Conditions: |p| log-uniform in [2, 100] GeV, slopes, entry point.
        let p = exp(rng.uniform(log(2.0), log(100.0)))
        let tx = rng.uniform(-0.25, 0.25)
        let ty = rng.uniform(-0.20, 0.20)
        let pz = p / (1 + tx * tx + ty * ty).squareRoot()
        let x0 = rng.uniform(-0.5, 0.5)
        let y0 = rng.uniform(-0.5, 0.5)
        out.momentum![3 * e] = Float(tx * pz)
        out.momentum![3 * e + 1] = Float(ty * pz)
        out.momentum![3 * e + 2] = Float(pz)
        out.point![2 * e] = Float(x0)
        out.point![2 * e + 1] = Float(y0)

        // Longitudinal profile: t ~ Gamma(a, b), b = 0.5, a = 1 + b·t_max.
        let energy = p, lnE = log(energy), Z = atomicNumber
        let spots = max(50, Int((energy / 0.05).rounded()))
        let b = 0.5
        let tMax = log(energy / criticalEnergy) - 0.5
        let a = 1 + b * tMax
        // Radial profile parameters (core R_C, tail R_T, core probability p).
        let z1 = 0.0251 + 0.00319 * lnE, z2 = 0.1162 - 0.000381 * Z
        let k1 = 0.659 - 0.00309 * Z, k2 = 0.645, k3 = -2.59, k4 = 0.3585 + 0.0421 * lnE
        let p1 = 2.632 - 0.00094 * Z, p2 = 0.401 + 0.00187 * Z, p3 = 1.313 - 0.0686 * lnE

        for k in 0..<CaloGrid.cells { spotCounts[k] = 0 }
        for _ in 0..<spots {
            let t = rng.gamma(shape: a, rate: b)
            if t >= 25 { continue }  // leaked out of the back; its energy share is lost
            let tau = t / tMax
            let coreRadius = z1 + z2 * tau
            let w = (p2 - tau) / p3
            let coreProbability = min(max(p1 * exp(w - exp(w)), 0), 1)
            // R_T = R_C·k1·(exp(k3(τ−k2)) + exp(k4(τ−k2))), computed only when the tail is drawn.
            let R = rng.uniform() < coreProbability
                ? coreRadius
                : coreRadius * k1 * (exp(k3 * (tau - k2)) + exp(k4 * (tau - k2)))
            let u = rng.uniform(0, 0.999)
            let r = R * (u / (1 - u)).squareRoot() * moliereRadius
            let phi = rng.uniform(0, 2 * Double.pi)
            // sin φ from cos φ (one libm call instead of two; sign from the half-turn φ is in).
            let cosPhi = cos(phi)
            let sinPhi = (phi < Double.pi ? 1.0 : -1.0) * max(0, 1 - cosPhi * cosPhi).squareRoot()
            let x = x0 + tx * t * radiationLength + r * cosPhi
            let y = y0 + ty * t * radiationLength + r * sinPhi
            let j = Int((x + 15).rounded(.down)), i = Int((y + 15).rounded(.down))
            if i >= 0 && i < CaloGrid.side && j >= 0 && j < CaloGrid.side {
                spotCounts[i * CaloGrid.side + j] += 1
            }
        }

        // Visible energy, shared equally by all n spots (lost and outside ones included).
        let visible = energy * (1 + 0.10 / energy.squareRoot() * rng.normal() + 0.01 * rng.normal())
        let perSpot = visible / Double(spots)
        let base = out.energy! + e * CaloGrid.cells
        let cut = Double(readoutThreshold)
        for k in stride(from: 0, to: CaloGrid.cells, by: 2) {
            let (noise1, noise2) = polarNormalPair(&rng)
            let cell1 = Double(spotCounts[k]) * perSpot + noiseSigma * noise1
            let cell2 = Double(spotCounts[k + 1]) * perSpot + noiseSigma * noise2
            base[k] = cell1 < cut ? 0 : Float(cell1)
            base[k + 1] = cell2 < cut ? 0 : Float(cell2)
        }
    }

    /// Two independent N(0, 1) draws by Marsaglia's polar method: (v1, v2) uniform in the unit
    /// disc, s = v1² + v2², normals v·sqrt(−2 ln s / s). Same distribution as Box–Muller
    /// without its sin and cos; the 900 noise draws per event were the simulator's hot spot.
    @inline(__always)
    private static func polarNormalPair(_ rng: inout SeededRandom) -> (Double, Double) {
        while true {
            let v1 = 2 * rng.uniform() - 1, v2 = 2 * rng.uniform() - 1
            let s = v1 * v1 + v2 * v2
            if s > 0 && s < 1 {
                let scale = (-2 * log(s) / s).squareRoot()
                return (v1 * scale, v2 * scale)
            }
        }
    }
}
