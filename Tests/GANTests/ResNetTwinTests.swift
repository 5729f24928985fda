import Calo
import TrialProtocol
import Foundation
import GAN
import NN
import Tensor
import Testing

/// The ResNet family against its PyTorch twin (scripts/twin_resnet.py), which follows
/// docs/science.md §4.1 literally (upsampling before G's shortcut Conv1×1, pooling after D's).
@Suite struct ResNetTwinTests {
    /// The twin's totals (printed by `twin_resnet.py shapes`), so the counts are checked even
    /// without torch; the live comparison below checks every layer.
    static let totals: [Preset: (g: Int, d: Int)] = [.tiny: (46_337, 45_806), .small: (171_649, 180_310)]

    static func networks(_ preset: Preset, batch: Int = 2, sn: Bool = true) -> (ResNetGenerator, ResNetDiscriminator) {
        var rng = SeededRandom(seed: 1)
        let config = ModelConfig(preset: preset, architecture: .resnet)
        return (ResNetGenerator(config: config, maxBatch: batch, rng: &rng),
                ResNetDiscriminator(config: config, maxBatch: batch, spectralNorm: sn, rng: &rng))
    }

    @Test(arguments: [Preset.tiny, .small]) func parameterCounts(preset: Preset) {
        let (g, d) = Self.networks(preset)
        #expect(g.store.parameterCount == Self.totals[preset]!.g)
        #expect(d.store.parameterCount == Self.totals[preset]!.d)
        #expect(g.layers.map(\.parameters).reduce(0, +) == g.store.parameterCount)
        #expect(d.layers.map(\.parameters).reduce(0, +) == d.store.parameterCount)
        // The forward really produces the twin's input and output shapes.
        g.input.withBatch(2).fill(0.5)
        let x = g.forward(batch: 2, mode: .training)
        #expect([x.n, x.c, x.h, x.w] == [Int]([2, 1, 30, 30]))
        let (score, r) = d.forward(x, conditions: Tensor(n: 2, c: 5), mode: .training)
        #expect([score.n, score.featureCount, r.n, r.featureCount] == [Int]([2, 1, 2, 2]))
    }

    @Test(.enabled(if: Twin.available, Twin.skipReason), arguments: [Preset.tiny, .small])
    func layersMatchTheTwin(preset: Preset) throws {
        let r = try Twin.python([Twin.script, "shapes", preset.rawValue])
        #expect(r.status == 0, "twin: \(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        func summaries(_ key: String) -> [LayerSummary] {
            ((json[key] as? [[Any]]) ?? []).map {
                LayerSummary(name: $0[0] as? String ?? "", outputShape: $0[1] as? [Int] ?? [], parameters: $0[2] as? Int ?? -1)
            }
        }
        let (g, d) = Self.networks(preset)
        #expect(g.layers == summaries("g"))
        #expect(d.layers == summaries("d"))
        #expect(json["g_total"] as? Int == Self.totals[preset]!.g && json["d_total"] as? Int == Self.totals[preset]!.d)
    }

    /// G (evaluation and training mode, and the running statistics a training forward leaves)
    /// and D (score and regression) on the same weights and inputs as the twin: max |Δ| ≤ 1e-4
    /// relative to the largest output (1 when smaller). Weights are moved off their
    /// initialisation (W_γ, W_β ≠ 0, running statistics ≠ (0, 1), k ≠ 1) so every term counts.
    @Test(.enabled(if: Twin.available, Twin.skipReason), arguments: [(Preset.tiny, true), (.small, true), (.tiny, false)])
    func forwardMatchesTheTwin(preset: Preset, sn: Bool) throws {
        let n = 4
        let (g, d) = Self.networks(preset, batch: n, sn: sn)
        var rng = SeededRandom(seed: 7)
        for i in 0..<g.store.parameterCount { g.store.parameters[i] += Float(rng.normal()) * 0.05 }
        // Running means and variances alike in [0.5, 1.5] (a variance must be positive).
        for i in 0..<g.store.bufferCount { g.store.buffers[i] = Float(rng.uniform(0.5, 1.5)) }
        for (slice, v) in zip(d.scaleSlices, [Float(1.3), 0.8, -1.1]) { d.store.values(slice).pointee = v }
        let config = g.config, dz = config.latent
        let z = Tensor(n: n, c: dz), c = Tensor(n: n, c: 5), x = Tensor(n: n, c: 1, h: 30, w: 30)
        rng.fillNormal(z.buffer); rng.fillNormal(c.buffer); rng.fillNormal(x.buffer)
        for s in 0..<n {
            (g.input.data + s * (dz + 5)).update(from: z.data + s * dz, count: dz)
            (g.input.data + s * (dz + 5) + dz).update(from: c.data + s * 5, count: 5)
        }
        let gWeights = g.twinArrays
        let gEval = g.forward(batch: n, mode: .evaluation).toArray()
        let gTrain = g.forward(batch: n, mode: .training).toArray()
        let running = Array(UnsafeBufferPointer(start: g.store.buffers, count: g.store.bufferCount))
        let (score, regression) = d.forward(x, conditions: c, mode: .evaluation)
        let w = config.discriminatorWidths, f = config.fullyConnected
        let sizes = [config.latent, config.width] + w + f
        var arrays: [(String, NPYArray)] = [("config", NPYArray(shape: [sizes.count], values: sizes.map(Float.init)))]
        arrays += gWeights.map { ("g." + $0.0, $0.1) } + d.twinArrays.map { ("d." + $0.0, $0.1) }
        arrays += [("z", NPYArray(shape: [n, dz], values: z.toArray())), ("c", NPYArray(shape: [n, 5], values: c.toArray())),
                   ("x", NPYArray(shape: [n, 1, 30, 30], values: x.toArray()))]

        let dir = TrialFixtures.temporaryDirectory("twin")
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.npz"), output = dir.appendingPathComponent("out.npz")
        try CaloNPZ.writeArrays(arrays, to: input)
        let r = try Twin.python([Twin.script, "forward", input.path, output.path])
        #expect(r.status == 0, "twin: \(r.stderr)")
        let twin = try CaloNPZ.readArrays(output)
        func close(_ name: String, _ ours: [Float]) {
            guard let theirs = twin[name]?.values, theirs.count == ours.count else {
                Issue.record("twin output \(name): \(twin[name]?.values.count ?? 0) values, \(ours.count) expected"); return
            }
            let scale = max(1, theirs.map(abs).max()!), error = zip(ours, theirs).map { abs($0 - $1) }.max()!
            #expect(error <= 1e-4 * scale, "\(preset) SN \(sn) \(name): max |Δ| \(error), largest |value| \(scale)")
        }
        close("g_eval", gEval)
        close("g_train", gTrain)
        close("g_running", running)
        close("d_score", score.toArray())
        close("d_regression", regression.toArray())
    }
}
