import Testing
import Tensor
import NN

@Suite struct SpectralNormTests {
    /// Independent reference: σ₁ = √λ_max(WᵀW) by a double-precision power iteration on the
    /// explicit Gram matrix WᵀW (cols × cols), run until λ changes by < 1e-14 relative.
    static func referenceSigma(_ w: [Float], rows: Int, cols: Int) -> Double {
        var gram = [Double](repeating: 0, count: cols * cols)
        for r in 0..<rows {
            for i in 0..<cols {
                let a = Double(w[r * cols + i])
                for j in 0..<cols { gram[i * cols + j] += a * Double(w[r * cols + j]) }
            }
        }
        var x = (0..<cols).map { 1 + Double($0 % 7) / 10 }, y = x
        var lambda = 0.0
        for _ in 0..<200_000 {
            var norm = 0.0
            for i in 0..<cols {
                var s = 0.0
                for j in 0..<cols { s += gram[i * cols + j] * x[j] }
                y[i] = s; norm += s * s
            }
            norm = norm.squareRoot()
            var rayleigh = 0.0
            for i in 0..<cols { rayleigh += x[i] * y[i] }
            let xx = x.reduce(0) { $0 + $1 * $1 }
            rayleigh /= xx
            for i in 0..<cols { x[i] = y[i] / norm }
            if abs(rayleigh - lambda) < 1e-14 * rayleigh { return rayleigh.squareRoot() }
            lambda = rayleigh
        }
        return lambda.squareRoot()
    }

    /// Power iteration from a random start (no warm-up) on N(0, 1) matrices, six seeds per shape.
    /// The error after k steps is governed by the gap σ₂/σ₁, which is small and seed-dependent
    /// for Gaussian matrices: at 50 steps it ranges 0.02–0.92% over these seeds for 64×576
    /// (two of six above 0.5%), so the "within 0.5% after 50 steps" holds for the
    /// median, not for every matrix. Asserted: median error at 50 steps < 0.5%, every one < 1%,
    /// σ never decreases from one step to the next (‖Wv‖ is monotone under power iteration),
    /// and after 300 steps every σ is within 0.01%. In training u persists across steps, so
    /// the effective iteration count grows with the step count.
    @Test(arguments: [(64, 576), (128, 1031)]) func powerIterationConverges(_ shape: (Int, Int)) {
        let (rows, cols) = shape
        var errorsAt50: [Double] = []
        for seed in 0..<6 {
            var rng = SeededRandom(seed: UInt64(seed * 1000 + rows))
            let store = ParameterStore()
            let slice = store.allocateParameters(rows * cols)
            rng.fillNormal(.init(start: store.values(slice), count: rows * cols))
            var sn = SpectralNorm(store: store, weight: slice, rows: rows, cols: cols, rng: &rng, warmUpIterations: 0)
            let w = Array(UnsafeBufferPointer(start: store.values(slice), count: rows * cols))
            let truth = Self.referenceSigma(w, rows: rows, cols: cols)
            var previous: Float = 0
            for step in 1...300 {
                sn.refresh(.training)
                #expect(sn.sigma >= previous * (1 - 1e-6), "seed \(seed) step \(step): σ decreased")
                previous = sn.sigma
                if step == 50 { errorsAt50.append(abs(Double(sn.sigma) - truth) / truth) }
            }
            let final = abs(Double(sn.sigma) - truth) / truth
            #expect(final < 1e-4, "\(rows)×\(cols) seed \(seed): error after 300 steps \(final)")
            if seed == 0 {
                // The converged library estimate (Lipschitz bound without SN) agrees tightly,
                // and W̄ = W/σ has largest singular value truth/σ ≈ 1.
                let converged = SpectralNorm.largestSingularValue(of: store.values(slice), rows: rows, cols: cols)
                #expect(abs(converged - truth) / truth < 1e-6, "converged σ \(converged) vs \(truth)")
                let barSigma = SpectralNorm.largestSingularValue(of: sn.normalizedWeight.data, rows: rows, cols: cols)
                #expect(abs(barSigma - truth / Double(sn.sigma)) < 1e-4)
            }
        }
        let sorted = errorsAt50.sorted(), median = (sorted[2] + sorted[3]) / 2
        #expect(median < 0.005, "\(rows)×\(cols): median error after 50 steps \(median), all \(errorsAt50)")
        #expect(sorted.last! < 0.01, "\(rows)×\(cols): worst error after 50 steps \(sorted.last!)")
    }

    @Test func knownSingularValue() {
        // Rows (3, 4) and (0, 0)... : W = [[3, 4], [0, 0], [0, 1]] has WᵀW = [[9, 12], [12, 17]],
        // λ_max = 13 + √(16 + 144) = 13 + √160 → σ₁ = √(13 + √160).
        let w: [Float] = [3, 4, 0, 0, 0, 1]
        let sigma = w.withUnsafeBufferPointer { SpectralNorm.largestSingularValue(of: $0.baseAddress!, rows: 3, cols: 2) }
        #expect(abs(sigma - (13 + 160.0.squareRoot()).squareRoot()) < 1e-9)
    }

    /// Evaluation leaves u, v untouched; training moves them.
    @Test func evaluationDoesNotUpdateVectors() {
        var rng = SeededRandom(seed: 3)
        let store = ParameterStore()
        let slice = store.allocateParameters(6 * 10)
        rng.fillNormal(.init(start: store.values(slice), count: 60))
        var sn = SpectralNorm(store: store, weight: slice, rows: 6, cols: 10, rng: &rng, warmUpIterations: 0)
        let before = Array(UnsafeBufferPointer(start: store.buffers, count: store.bufferCount))
        sn.refresh(.evaluation)
        #expect(Array(UnsafeBufferPointer(start: store.buffers, count: store.bufferCount)) == before)
        sn.refresh(.training)
        #expect(Array(UnsafeBufferPointer(start: store.buffers, count: store.bufferCount)) != before)
    }
}
