import Metrics
import Tensor
import Testing

/// `PRDReference`: a real sample prepared once gives, for every generated sample scored
/// against it, the very `PRDResult` (AUC, averaged curve, per-run iterations) of
/// `evaluate(real:generated:seed:standardize:)`, RAW and standardised, including when a later
/// generated sample is larger than the union buffer holds (it grows, the real rows carried over).
@Suite struct PRDReferenceTests {
    @Test(arguments: [false, true])
    func preparedRealSideGivesTheSameResults(standardize: Bool) throws {
        BLAS.threads = 1
        let real = gaussianBlobs(count: 5, perBlob: 80, dimension: 7, seed: 1)
        let reference = try PRDReference(real: real, standardize: standardize)
        let evaluator = try PRDEvaluator(options: PRDOptions(clusters: 15, runs: 3))
        let generated = [gaussianBlobs(count: 5, perBlob: 40, dimension: 7, seed: 2, offset: 0.5),
                         gaussianBlobs(count: 5, perBlob: 90, dimension: 7, seed: 3),
                         gaussianBlobs(count: 5, perBlob: 60, dimension: 7, seed: 4, offset: 2)]
        var aucs: [Double] = []
        for (i, sample) in generated.enumerated() {
            let seed = UInt64(20 + i)
            let prepared = try evaluator.evaluate(reference: reference, generated: sample, seed: seed)
            let direct = try evaluator.evaluate(real: real, generated: sample, seed: seed, standardize: standardize)
            #expect(prepared == direct, "generated sample \(i)")
            aucs.append(prepared.auc)
        }
        #expect(Set(aucs).count == 3)
    }

    @Test func rejectsWhatEvaluateRejects() throws {
        let real = gaussianBlobs(count: 2, perBlob: 10, dimension: 3, seed: 1)
        let reference = try PRDReference(real: real)
        let evaluator = try PRDEvaluator(options: PRDOptions(clusters: 3, runs: 1))
        #expect(throws: MetricsError.self) {
            try evaluator.evaluate(reference: reference, generated: gaussianBlobs(count: 2, perBlob: 10, dimension: 4, seed: 2), seed: 1)
        }
        var bad = real
        bad.values[5] = .nan
        #expect(throws: MetricsError.self) { try PRDReference(real: bad) }
        #expect(throws: MetricsError.self) { try evaluator.evaluate(reference: reference, generated: bad, seed: 1) }
    }
}
