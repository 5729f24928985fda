import Metrics
import Tensor
import Testing

/// Well-separated Gaussian blobs: blob b is centred at 20·e_b in D dimensions, sd 0.5.
func gaussianBlobs(count: Int, perBlob: Int, dimension: Int, seed: UInt64, offset: Double = 0) -> FeatureMatrix {
    var rng = SeededRandom(seed: seed)
    var values: [Float] = []
    for blob in 0..<count {
        for _ in 0..<perBlob {
            for j in 0..<dimension {
                let centre = (j == blob % dimension ? 20.0 : 0) + (blob >= dimension ? -20 : 0) + offset
                values.append(Float(rng.normal(mean: centre, sd: 0.5)))
            }
        }
    }
    return FeatureMatrix(rows: count * perBlob, columns: dimension, values: values)
}

@Suite struct KMeansTests {
    @Test func recoversWellSeparatedBlobs() throws {
        let blobs = 6, perBlob = 300
        let data = gaussianBlobs(count: blobs, perBlob: perBlob, dimension: 10, seed: 1)
        let kmeans = try MiniBatchKMeans(options: KMeansOptions(clusters: blobs, batchSize: 256))
        let result = try kmeans.fit(data, seed: 7)
        #expect(result.clusters == blobs)
        #expect(result.iterations >= 100)
        var labelOfBlob: [Int32] = []
        for b in 0..<blobs {
            let labels = Set(result.assignments[(b * perBlob)..<((b + 1) * perBlob)])
            #expect(labels.count == 1, "blob \(b) is split over \(labels)")
            labelOfBlob.append(labels.first!)
        }
        #expect(Set(labelOfBlob).count == blobs, "two blobs share a cluster: \(labelOfBlob)")
        // Inertia ≈ N·D·σ² = 1800·10·0.25 = 4500 when each centre sits at its blob's mean.
        #expect(result.inertia > 4000 && result.inertia < 5000)
        // Each centre is within 0.2 of its blob's true centre in every coordinate.
        for b in 0..<blobs {
            let c = Int(labelOfBlob[b])
            for j in 0..<10 {
                let truth: Float = (j == b % 10 ? 20 : 0)
                #expect(abs(result.centres[c * 10 + j] - truth) < 0.2)
            }
        }
    }

    @Test func sameSeedSameResult() throws {
        BLAS.threads = 1
        let data = gaussianBlobs(count: 8, perBlob: 200, dimension: 12, seed: 3)
        let kmeans = try MiniBatchKMeans(options: KMeansOptions(clusters: 20, batchSize: 128))
        let first = try kmeans.fit(data, seed: 42)
        let second = try kmeans.fit(data, seed: 42)  // same instance: reused buffers must not leak state
        let fresh = try MiniBatchKMeans(options: KMeansOptions(clusters: 20, batchSize: 128)).fit(data, seed: 42)
        #expect(first == second)
        #expect(first == fresh)
        let other = try kmeans.fit(data, seed: 43)
        #expect(other.centres != first.centres)
    }

    /// k above the number of distinct points: k-means++ stops once every point is a centre,
    /// so the fit uses one centre per distinct point and assigns each copy to its own.
    @Test func moreClustersThanDistinctPoints() throws {
        let distinct: [[Float]] = [[0, 0], [5, 1], [-3, 7]]
        var values: [Float] = []
        for copy in 0..<30 { values += distinct[copy % 3] }
        let data = FeatureMatrix(rows: 30, columns: 2, values: values)
        let result = try MiniBatchKMeans(options: KMeansOptions(clusters: 10)).fit(data, seed: 1)
        #expect(result.clusters == 3)
        #expect(result.inertia == 0)
        for i in 0..<30 { #expect(result.assignments[i] == result.assignments[i % 3]) }
        #expect(Set(result.assignments).count == 3)

        // More clusters than points.
        let few = FeatureMatrix(rows: 4, columns: 3, values: (0..<12).map { Float($0) })
        let fit = try MiniBatchKMeans(options: KMeansOptions(clusters: 50)).fit(few, seed: 2)
        #expect(fit.clusters == 4)
        #expect(Set(fit.assignments).count == 4)
    }

    @Test func stopsAtTheCapWhenToleranceIsZero() throws {
        let data = gaussianBlobs(count: 4, perBlob: 100, dimension: 5, seed: 9)
        let options = KMeansOptions(clusters: 4, batchSize: 64, minIterations: 10, maxIterations: 40, tolerance: 0)
        let result = try MiniBatchKMeans(options: options).fit(data, seed: 1)
        #expect(result.iterations == 40)
        #expect(!result.converged)
        let loose = KMeansOptions(clusters: 4, batchSize: 64, minIterations: 10, maxIterations: 400, tolerance: 1)
        let early = try MiniBatchKMeans(options: loose).fit(data, seed: 1)
        #expect(early.converged)
        #expect(early.iterations == 10)
    }

    @Test func rejectsBadOptionsAndEmptyData() throws {
        #expect(throws: MetricsError.invalidOption(name: "clusters", value: "0", allowed: "an integer ≥ 1")) {
            try MiniBatchKMeans(options: KMeansOptions(clusters: 0))
        }
        #expect(throws: MetricsError.self) { try MiniBatchKMeans(options: KMeansOptions(batchSize: 0)) }
        #expect(throws: MetricsError.self) { try MiniBatchKMeans(options: KMeansOptions(minIterations: 50, maxIterations: 10)) }
        let kmeans = try MiniBatchKMeans(options: KMeansOptions(clusters: 2))
        #expect(throws: MetricsError.emptySample("data")) {
            try kmeans.fit(FeatureMatrix(rows: 0, columns: 3, values: []), seed: 1)
        }
    }
}
