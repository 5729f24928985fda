import Foundation
import TrialProtocol

/// The 54 physics features of docs/science.md §3 (the "Physical" in Physical PRD), vectorised over a
/// batch of events.
///
/// For event e with image I (30×30), momentum p and entry point (x0, y0):
///   axis point  c = (x0 + z_off·px/pz, y0 + z_off·py/pz),
///   u = (px, py)/|(px, py)| (u = (1, 0) when px = py = 0), v = (−u_y, u_x),
///   for each cell centre q: s_u = (q − c)·u, s_v = (q − c)·v, and E = Σ I;
///   asymmetry along  = (Σ_{s_u>0} I − Σ_{s_u≤0} I) / E   (across: the same with s_v),
///   width along      = sqrt(Σ I s_u²/E − (Σ I s_u/E)²)   (across: the same with s_v),
///   sparsity_k       = #{cells : I ≥ α_k·E} / 900,  α = logspace(−5, 0, 50).
/// Layout per event: [asym_along, asym_across, width_along, width_across, sparsity×50].
/// Events with E ≤ 0 (or a non-finite E) get 54 zeros and are counted, never NaN.
/// Sums run in Double, so a batch's features do not depend on how it is split.
public enum PhysicsFeatures {
    public static let count = 54
    public static let sparsityLevels = 50
    /// Axis offset of the simulated data (≈ its mean shower depth, cell units). The LHCb
    /// challenge code used 25.
    public static let defaultZOffset = Float(TrialConfig.Dataset.defaultZOffset)
    /// α_k = 10^(−5 + 5k/49), k = 0…49 (numpy.logspace(−5, 0, 50)); α_49 = 1 exactly.
    public static let sparsityThresholds: [Double] = (0..<50).map { pow(10, -5 + 5 * Double($0) / 49) }
    public static let names: [String] = ["asymmetry_along", "asymmetry_across", "width_along", "width_across"]
        + (0..<50).map { String(format: "sparsity_%02d", $0) }

    /// Features of a whole `CaloEvents` value: N×54 row-major values and the number of
    /// zero-energy events.
    public static func compute(_ events: CaloEvents, zOffset: Float = defaultZOffset) -> (values: [Float], zeroEnergyEvents: Int) {
        var values = [Float](repeating: 0, count: events.count * count)
        let zero = values.withUnsafeMutableBufferPointer { out in
            events.energy.withUnsafeBufferPointer { energy in
                events.momentum.withUnsafeBufferPointer { momentum in
                    events.point.withUnsafeBufferPointer { point in
                        compute(energy: energy, momentum: momentum, point: point, zOffset: zOffset, into: out)
                    }
                }
            }
        }
        return (values, zero)
    }

    /// Features into a caller-provided N×54 buffer; N = momentum.count / 3. `energy` is
    /// N×900 (e.g. a generator's output mapped back to GeV), `point` N×2. Returns the number
    /// of events with E ≤ 0.
    @discardableResult
    public static func compute(energy: UnsafeBufferPointer<Float>, momentum: UnsafeBufferPointer<Float>,
                               point: UnsafeBufferPointer<Float>, zOffset: Float = defaultZOffset,
                               into output: UnsafeMutableBufferPointer<Float>) -> Int {
        let n = momentum.count / 3
        precondition(energy.count == n * CaloGrid.cells && point.count == n * 2 && output.count == n * count,
                     "PhysicsFeatures.compute: buffers disagree on the event count")
        var zeroEnergy = 0
        var passCounts = [Int](repeating: 0, count: sparsityLevels + 1)
        for e in 0..<n {
            let image = UnsafeBufferPointer(rebasing: energy[e * CaloGrid.cells ..< (e + 1) * CaloGrid.cells])
            let row = UnsafeMutableBufferPointer(rebasing: output[e * count ..< (e + 1) * count])
            let m = moments(image, momentum: momentum, point: point, event: e, zOffset: Double(zOffset))
            guard m.total > 0 else {
                zeroEnergy += 1
                for k in 0..<count { row[k] = 0 }
                continue
            }
            row[0] = Float(m.asymmetryAlong)
            row[1] = Float(m.asymmetryAcross)
            row[2] = Float(m.widthAlong)
            row[3] = Float(m.widthAcross)
            sparsity(image, total: m.total, passCounts: &passCounts, into: UnsafeMutableBufferPointer(rebasing: row[4...]))
        }
        return zeroEnergy
    }

    /// Only (asym_along, asym_across), N×2, into `output`: the GAN regressor's targets for
    /// every training event, without the sparsity work. Returns the zero-energy count.
    @discardableResult
    public static func asymmetries(energy: UnsafeBufferPointer<Float>, momentum: UnsafeBufferPointer<Float>,
                                   point: UnsafeBufferPointer<Float>, zOffset: Float = defaultZOffset,
                                   into output: UnsafeMutableBufferPointer<Float>) -> Int {
        let n = momentum.count / 3
        precondition(energy.count == n * CaloGrid.cells && point.count == n * 2 && output.count == n * 2,
                     "PhysicsFeatures.asymmetries: buffers disagree on the event count")
        var zeroEnergy = 0
        for e in 0..<n {
            let image = UnsafeBufferPointer(rebasing: energy[e * CaloGrid.cells ..< (e + 1) * CaloGrid.cells])
            let m = moments(image, momentum: momentum, point: point, event: e, zOffset: Double(zOffset))
            if m.total > 0 {
                output[2 * e] = Float(m.asymmetryAlong)
                output[2 * e + 1] = Float(m.asymmetryAcross)
            } else {
                zeroEnergy += 1
                output[2 * e] = 0
                output[2 * e + 1] = 0
            }
        }
        return zeroEnergy
    }

    /// Convenience: N×2 asymmetries of `events`.
    public static func asymmetries(_ events: CaloEvents, zOffset: Float = defaultZOffset) -> [Float] {
        var out = [Float](repeating: 0, count: 2 * events.count)
        out.withUnsafeMutableBufferPointer { o in
            events.energy.withUnsafeBufferPointer { energy in
                events.momentum.withUnsafeBufferPointer { momentum in
                    events.point.withUnsafeBufferPointer { point in
                        _ = asymmetries(energy: energy, momentum: momentum, point: point, zOffset: zOffset, into: o)
                    }
                }
            }
        }
        return out
    }

    // MARK: per-event pieces

    private struct Moments {
        var total = 0.0
        var asymmetryAlong = 0.0, asymmetryAcross = 0.0
        var widthAlong = 0.0, widthAcross = 0.0
    }

    /// Energy sums on either side of the axis and the first two moments of s_u and s_v.
    @inline(__always)
    private static func moments(_ image: UnsafeBufferPointer<Float>, momentum: UnsafeBufferPointer<Float>,
                                point: UnsafeBufferPointer<Float>, event e: Int, zOffset: Double) -> Moments {
        let px = Double(momentum[3 * e]), py = Double(momentum[3 * e + 1]), pz = Double(momentum[3 * e + 2])
        // pz > 0 for every real particle; a degenerate pz ≤ 0 uses the entry point itself.
        let slope = pz > 0 ? zOffset / pz : 0
        let cx = Double(point[2 * e]) + slope * px, cy = Double(point[2 * e + 1]) + slope * py
        let norm = (px * px + py * py).squareRoot()
        let ux = norm > 0 ? px / norm : 1, uy = norm > 0 ? py / norm : 0
        var total = 0.0, positiveAlong = 0.0, positiveAcross = 0.0
        var sumU = 0.0, sumU2 = 0.0, sumV = 0.0, sumV2 = 0.0
        for i in 0..<CaloGrid.side {
            let dy = Double(CaloGrid.centre(i)) - cy
            for j in 0..<CaloGrid.side {
                let energy = Double(image[i * CaloGrid.side + j])
                if energy == 0 { continue }  // most cells are empty; they add nothing to any sum
                let dx = Double(CaloGrid.centre(j)) - cx
                let su = dx * ux + dy * uy
                let sv = -dx * uy + dy * ux
                total += energy
                if su > 0 { positiveAlong += energy }
                if sv > 0 { positiveAcross += energy }
                sumU += energy * su; sumU2 += energy * su * su
                sumV += energy * sv; sumV2 += energy * sv * sv
            }
        }
        var m = Moments()
        m.total = total
        guard total > 0 else { return m }  // also catches NaN totals
        // (Σ_{s>0} I − Σ_{s≤0} I)/E with Σ_{s≤0} I = E − Σ_{s>0} I.
        m.asymmetryAlong = (2 * positiveAlong - total) / total
        m.asymmetryAcross = (2 * positiveAcross - total) / total
        let meanU = sumU / total, meanV = sumV / total
        // max(0, ·): the variance of a single cell can round to a tiny negative number.
        m.widthAlong = max(0, sumU2 / total - meanU * meanU).squareRoot()
        m.widthAcross = max(0, sumV2 / total - meanV * meanV).squareRoot()
        return m
    }

    /// sparsity_k = #{cells : I ≥ α_k·E}/900. Each positive cell passes thresholds 0..<c for
    /// some c (α is increasing), found by binary search; only positive cells can pass since
    /// α·E > 0. `passCounts[c]` counts cells passing exactly c thresholds.
    @inline(__always)
    private static func sparsity(_ image: UnsafeBufferPointer<Float>, total: Double, passCounts: inout [Int],
                                 into out: UnsafeMutableBufferPointer<Float>) {
        for c in 0...sparsityLevels { passCounts[c] = 0 }
        sparsityThresholds.withUnsafeBufferPointer { alpha in
            for k in 0..<CaloGrid.cells where image[k] > 0 {
                let cell = Double(image[k])
                var lo = 0, hi = sparsityLevels  // answer c in lo...hi: cell ≥ α_k·E exactly for k < c
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if cell >= alpha[mid] * total { lo = mid + 1 } else { hi = mid }
                }
                passCounts[lo] += 1
            }
        }
        // Cells passing threshold k are those with c > k: a suffix sum over passCounts.
        var passing = 0
        for k in stride(from: sparsityLevels - 1, through: 0, by: -1) {
            passing += passCounts[k + 1]
            out[k] = Float(passing) / Float(CaloGrid.cells)
        }
    }
}
