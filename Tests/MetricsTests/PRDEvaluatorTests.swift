import Metrics
import Tensor
import Testing

@Suite struct PRDEvaluatorTests {
    /// Two samples of the same 8-blob mixture score high; a mixture with half its blobs
    /// replaced by blobs far away scores far lower.
    @Test func sameDistributionHighShiftedLow() throws {
        let real = gaussianBlobs(count: 8, perBlob: 250, dimension: 8, seed: 1)
        let twin = gaussianBlobs(count: 8, perBlob: 250, dimension: 8, seed: 2)
        let evaluator = try PRDEvaluator(options: PRDOptions(clusters: 20, runs: 3))
        let same = try evaluator.evaluate(real: real, generated: twin, seed: 5)
        #expect(same.auc > 0.9, "same distribution: \(same.auc)")
        #expect(same.runs.count == 3)

        // Half the blobs moved: blobs 8…15 live at −20·e_j instead.
        var moved = gaussianBlobs(count: 16, perBlob: 125, dimension: 8, seed: 3)
        moved = FeatureMatrix(rows: 2000, columns: 8, values: Array(moved.values[0..<(1000 * 8)] + moved.values[(1000 * 8)...]))
        let wrong = try evaluator.evaluate(real: real, generated: moved, seed: 5)
        #expect(wrong.auc < 0.6, "half the mass misplaced: \(wrong.auc)")

        // Entirely elsewhere → 0 (no cluster holds both samples).
        let far = gaussianBlobs(count: 8, perBlob: 250, dimension: 8, seed: 4, offset: 100)
        #expect(try evaluator.evaluate(real: real, generated: far, seed: 5).auc < 0.01)
    }

    @Test func deterministicPerSeed() throws {
        BLAS.threads = 1
        let real = gaussianBlobs(count: 4, perBlob: 200, dimension: 6, seed: 1)
        let generated = gaussianBlobs(count: 4, perBlob: 200, dimension: 6, seed: 2, offset: 0.3)
        let evaluator = try PRDEvaluator(options: PRDOptions(clusters: 30, runs: 2))
        let a = try evaluator.evaluate(real: real, generated: generated, seed: 11)
        let b = try evaluator.evaluate(real: real, generated: generated, seed: 11)
        #expect(a == b)
        // The mean curve's AUC is not the mean of the run AUCs, but lies within their range.
        let aucs = a.runs.map(\.auc)
        #expect(a.auc >= aucs.min()! - 1e-3 && a.auc <= aucs.max()! + 1e-3)
    }

    /// Standardisation uses the REAL sample only: real becomes mean 0, sd 1 per feature;
    /// a constant real feature is only centred (divided by 1).
    @Test func standardizerUsesRealStatistics() {
        let real = FeatureMatrix(rows: 4, columns: 3, values: [1, 10, 7,  3, 10, 7,  5, 10, 7,  7, 10, 7])
        let s = Standardizer(fittedTo: real)
        #expect(s.mean == [4, 10, 7])
        #expect(abs(s.scale[0] - 5.0.squareRoot()) < 1e-12)  // population sd of 1,3,5,7
        #expect(s.scale[1] == 1 && s.scale[2] == 1)
        let generated = FeatureMatrix(rows: 1, columns: 3, values: [4 + 2 * Float(5.0.squareRoot()), 12, 7])
        let z = s.apply(generated).values
        #expect(abs(z[0] - 2) < 1e-5 && z[1] == 2 && z[2] == 0)
    }

    /// Physical PRD's standardisation makes the score blind to units: one feature in
    /// kilo-units, spread 1000× wider, clusters the same once standardised.
    @Test func standardizedScoreIgnoresFeatureScale() throws {
        BLAS.threads = 1
        let real = gaussianBlobs(count: 4, perBlob: 200, dimension: 6, seed: 1)
        let generated = gaussianBlobs(count: 4, perBlob: 200, dimension: 6, seed: 2, offset: 0.5)
        func scaled(_ m: FeatureMatrix) -> FeatureMatrix {
            var v = m.values
            for i in 0..<m.rows { v[i * 6] *= 1024 }  // a power of 2: exact in Float
            return FeatureMatrix(rows: m.rows, columns: 6, values: v)
        }
        let evaluator = try PRDEvaluator(options: PRDOptions(clusters: 10, runs: 2))
        let plain = try evaluator.evaluate(real: real, generated: generated, seed: 3, standardize: true)
        let rescaled = try evaluator.evaluate(real: scaled(real), generated: scaled(generated), seed: 3, standardize: true)
        #expect(abs(plain.auc - rescaled.auc) < 0.02, "\(plain.auc) vs \(rescaled.auc)")
    }

    @Test func rejectsUnscorableSamples() throws {
        let evaluator = try PRDEvaluator(options: PRDOptions(clusters: 5, runs: 1))
        let ok = FeatureMatrix(rows: 2, columns: 2, values: [0, 1, 2, 3])
        #expect(throws: MetricsError.emptySample("generated")) {
            try evaluator.evaluate(real: ok, generated: FeatureMatrix(rows: 0, columns: 2, values: []), seed: 1)
        }
        #expect(throws: MetricsError.dimensionMismatch(real: 2, generated: 1)) {
            try evaluator.evaluate(real: ok, generated: FeatureMatrix(rows: 2, columns: 1, values: [0, 1]), seed: 1)
        }
        let error = #expect(throws: MetricsError.self) {
            try evaluator.evaluate(real: ok, generated: FeatureMatrix(rows: 2, columns: 2, values: [0, 1, .nan, 3]), seed: 1)
        }
        #expect(error?.description == "generated sample: event 1, feature 0 is nan; remove or fix events with non-finite values")
        #expect(throws: MetricsError.self) { try PRDEvaluator(options: PRDOptions(clusters: 5, runs: 0)) }
    }
}
