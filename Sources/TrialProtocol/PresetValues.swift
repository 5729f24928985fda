/// The preset table of docs/science.md §4: network sizes and the counts a trial takes unless
/// its config says otherwise.
public struct PresetValues: Sendable, Equatable {
    /// d_z, the latent dimension of G.
    public let latent: Int
    /// C, G's convolution width.
    public let width: Int
    /// w1…w5, D's convolution widths.
    public let discriminatorWidths: [Int]
    /// f1, f2, D's fully connected widths.
    public let fullyConnected: [Int]
    public let batch: Int
    public let trainEvents: Int
    public let testEvents: Int
    public let epochs: Int
    /// k-means clusters of the PRD and the clusterings averaged (docs/science.md §6).
    public let clusters: Int
    public let prdRuns: Int

    public init(_ preset: Preset) {
        switch preset {
        case .tiny:
            self.init(latent: 32, width: 16, discriminatorWidths: [8, 16, 32, 32, 32], fullyConnected: [64, 32],
                      batch: 64, trainEvents: 6_000, testEvents: 2_000, epochs: 30, clusters: 50, prdRuns: 3)
        case .small:
            self.init(latent: 64, width: 32, discriminatorWidths: [16, 32, 64, 64, 64], fullyConnected: [128, 64],
                      batch: 256, trainEvents: 10_000, testEvents: 5_000, epochs: 30, clusters: 100, prdRuns: 3)
        case .paper:
            self.init(latent: 256, width: 64, discriminatorWidths: [32, 64, 128, 128, 128], fullyConnected: [256, 128],
                      batch: 256, trainEvents: 60_000, testEvents: 60_000, epochs: 150, clusters: 400, prdRuns: 10)
        }
    }

    private init(latent: Int, width: Int, discriminatorWidths: [Int], fullyConnected: [Int], batch: Int,
                 trainEvents: Int, testEvents: Int, epochs: Int, clusters: Int, prdRuns: Int) {
        self.latent = latent; self.width = width; self.discriminatorWidths = discriminatorWidths
        self.fullyConnected = fullyConnected; self.batch = batch; self.trainEvents = trainEvents
        self.testEvents = testEvents; self.epochs = epochs; self.clusters = clusters; self.prdRuns = prdRuns
    }
}
