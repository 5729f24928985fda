import Tensor

/// Fully connected layer y = x·Wᵀ + b on (n, in) → (n, out); W is (out, in) row-major as in
/// PyTorch, optionally spectrally normalised. Output and input-gradient tensors are
/// preallocated for `maxBatch`; `forward` caches its input for `backward`.
/// With T > 1 threads (`WorkSplit`) a GEMM of at least 2·`minimumSplitWork` multiply-adds is
/// split T ways: forward and ∂x by sample rows, ∂W by output rows (each worker owns its rows
/// of ∂W, so no reduction and a fixed result for a fixed T); smaller ones run on one thread.
public final class Linear: AffineLayer, Layer {
    public let inFeatures: Int, outFeatures: Int
    /// Multiply-adds a worker must get at least for a GEMM to be split (below, the dispatch
    /// costs more than it saves).
    public static let minimumSplitWork = 1 << 20

    /// PyTorch's default initialisation: W and b ~ U(−1/√in, 1/√in).
    public init(_ inFeatures: Int, _ outFeatures: Int, maxBatch: Int, store: ParameterStore,
                rng: inout SeededRandom, spectralNorm: Bool = false) {
        self.inFeatures = inFeatures; self.outFeatures = outFeatures
        super.init(weight: LayerWeight(store: store, rows: outFeatures, cols: inFeatures, spectralNorm: spectralNorm, rng: &rng),
                   output: Tensor(n: maxBatch, c: outFeatures), inputGradient: Tensor(n: maxBatch, c: inFeatures))
    }

    public var outputShape: [Int] { [outFeatures] }
    public var inputShape: [Int] { [inFeatures] }
    public var flopsPerSample: LayerFLOPs { .affine(rows: outFeatures, cols: inFeatures, positions: 1, outputs: outFeatures) }
    /// X (batch × in) · Wᵀ (in × out).
    public func forwardGEMM(batch: Int) -> GEMMShape? { GEMMShape(m: batch, n: outFeatures, k: inFeatures) }

    /// x: (n, in) (any (n, c, h, w) with c·h·w = in) → (n, out).
    public func forward(_ x: Tensor, mode: ForwardMode = .training) -> Tensor {
        let n = x.n
        precondition(x.featureCount == inFeatures && n <= maxBatch,
                     "Linear(\(inFeatures)→\(outFeatures)): input \(n)×\(x.featureCount), max batch \(maxBatch)")
        input = x
        let w = weight.prepare(mode), y = output.data, b = UnsafePointer(weight.store.values(bias))
        let xp = UnsafePointer(x.data), fin = inFeatures, fout = outFeatures
        WorkSplit.run(items: n, workers: workers(rows: n, work: n * fin * fout)) { _, rows in
            for i in rows { (y + i * fout).update(from: b, count: fout) }
            BLAS.sgemm(transB: true, m: rows.count, n: fout, k: fin, a: xp + rows.lowerBound * fin, lda: fin,
                       b: w, ldb: fin, beta: 1, c: y + rows.lowerBound * fout, ldc: fout)
        }
        return output.withBatch(n)
    }

    /// Workers for a GEMM of `work` multiply-adds split over `rows` rows.
    private func workers(rows: Int, work: Int) -> Int {
        work < 2 * Linear.minimumSplitWork ? 1 : WorkSplit.workers(for: rows, threads: threads)
    }

    /// dOut: (n, out). Accumulates ∂L/∂W, ∂L/∂b into the store; returns ∂L/∂x (n, in).
    public func backward(_ dOut: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("Linear.backward before forward") }
        let n = x.n
        precondition(dOut.n == n && dOut.featureCount == outFeatures, "Linear.backward: gradient shape")
        let dy = UnsafePointer(dOut.data), xp = UnsafePointer(x.data), fin = inFeatures, fout = outFeatures
        if computesParameterGradients {
            let (dw, beta) = weight.gradientTarget
            // ∂L/∂W (out × in) = dYᵀ · X, rows o of ∂W from columns o of dY.
            WorkSplit.run(items: fout, workers: workers(rows: fout, work: n * fin * fout)) { _, rows in
                BLAS.sgemm(transA: true, m: rows.count, n: fin, k: n, a: dy + rows.lowerBound, lda: fout,
                           b: xp, ldb: fin, beta: beta, c: dw + rows.lowerBound * fin, ldc: fin)
            }
            weight.finishGradient()
            let db = weight.store.gradient(bias)
            for i in 0..<n {
                let row = dy + i * outFeatures
                for o in 0..<outFeatures { db[o] += row[o] }
            }
        }
        let dx = inputGradient.withBatch(n).reshaped(n: n, c: x.c, h: x.h, w: x.w)
        if computesInputGradient {
            // ∂L/∂X (n × in) = dY · W
            let w = weight.effective, dxp = dx.data
            WorkSplit.run(items: n, workers: workers(rows: n, work: n * fin * fout)) { _, rows in
                BLAS.sgemm(m: rows.count, n: fin, k: fout, a: dy + rows.lowerBound * fout, lda: fout,
                           b: w, ldb: fin, c: dxp + rows.lowerBound * fin, ldc: fin)
            }
        }
        return dx
    }
}
