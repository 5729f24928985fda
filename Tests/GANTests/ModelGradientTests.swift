import GAN
import TrialProtocol
import NN
import Tensor
import Testing

/// Finite-difference checks of the whole discriminator and of the generator through D on a
/// small configuration. L = Σ r_s·score + Σ r_r·regression with random r is piecewise smooth
/// in every variable (LeakyReLU kinks); with thousands of units a central difference crosses
/// some kinks, and since ∂L is a sum of large cancelling terms even a few crossings move it
/// by tens of percent. So the check uses the fundamental theorem of calculus, exact across
/// kinks: for a random direction δ over one block (D's input per sample; each layer's
/// weights and bias; each k_i),
///     L(θ + hδ) − L(θ − hδ)  =  ∫_{−h}^{h} ∇L(θ + tδ)·δ dt,
/// the right side by the midpoint rule on 400 analytic backward passes, h = 2e-2.
/// A `.training` forward first advances the SN vectors once; all passes then use
/// `.evaluation` (the same u, v), the function whose gradient SN's backward computes.
/// Criterion: |integral − difference| ≤ 5e-2·|difference| per block (the midpoint rule still
/// smears the kinks inside its sub-intervals: observed errors ≤ 3%); a backward off by 10% in
/// any layer fails it.
@Suite struct ModelGradientTests {
    static let config = ModelConfig(latent: 6, width: 4, discriminatorWidths: [3, 4, 5, 4, 3], fullyConnected: [6, 5])
    static let h: Float = 2e-2
    static let points = 400
    static let tolerance = 5e-2

    static func dot(_ a: Tensor, _ b: Tensor) -> Double {
        var s = 0.0
        for i in 0..<a.count { s += Double(a.data[i]) * Double(b.data[i]) }
        return s
    }

    /// (∫ analytic, difference) along δ ~ N(0, 1) over `range` of `values`; `gradient()`
    /// runs forward + backward at the current point and returns ∂L/∂values.
    static func directional(_ values: UnsafeMutablePointer<Float>, _ range: Range<Int>, _ rng: inout SeededRandom,
                            loss: () -> Double, gradient: () -> [Double]) -> (Double, Double) {
        let delta = range.map { _ in Float(rng.normal()) }
        let saved = range.map { values[$0] }
        func move(_ t: Float) { for (j, i) in range.enumerated() { values[i] = saved[j] + t * delta[j] } }
        var integral = 0.0
        let dt = 2 * h / Float(points)
        for p in 0..<points {
            move(-h + (Float(p) + 0.5) * dt)
            let g = gradient()
            var gd = 0.0
            for (j, i) in range.enumerated() { gd += g[i] * Double(delta[j]) }
            integral += gd * Double(dt)
        }
        move(h); let plus = loss()
        move(-h); let minus = loss()
        move(0)
        return (integral, plus - minus)
    }

    /// Parameter ranges per layer (weights and bias together), from the layer summaries in
    /// allocation order.
    static func blocks(_ layers: [LayerSummary]) -> [(String, Range<Int>)] {
        var at = 0
        return layers.map { l in defer { at += l.parameters }; return (l.name, at..<(at + l.parameters)) }
    }

    static func check(_ label: String, _ pair: (Double, Double)) {
        let (a, n) = pair
        #expect(abs(a - n) <= tolerance * abs(n) && abs(n) > 1e-6, "\(label): ∫ analytic \(a), difference \(n)")
    }

    @Test(arguments: [true, false]) func discriminator(spectralNorm: Bool) {
        var rng = SeededRandom(seed: 11)
        let d = Discriminator(config: Self.config, maxBatch: 3, spectralNorm: spectralNorm, rng: &rng)
        Self.checkDiscriminator(d, label: "D SN \(spectralNorm)", rng: &rng)
    }

    /// ∂x per sample, each layer's ∂θ and each k_i of `d` (maxBatch ≥ 3) on random x, c.
    static func checkDiscriminator(_ d: any DiscriminatorNetwork, label: String, rng: inout SeededRandom) {
        let n = 3
        // Non-trivial k so their gradients are tested too.
        for (slice, v) in zip(d.scaleSlices, [Float(1.3), 0.8, -1.1]) { d.store.values(slice).pointee = v }
        let x = Tensor(n: n, c: 1, h: 30, w: 30), c = Tensor(n: n, c: 5)
        rng.fillNormal(x.buffer); rng.fillNormal(c.buffer)
        let rs = Tensor(n: n, c: 1), rr = Tensor(n: n, c: 2)
        rng.fillNormal(rs.buffer); rng.fillNormal(rr.buffer)
        d.computesInputGradient = true
        _ = d.forward(x, conditions: c, mode: .training)
        let loss = { () -> Double in
            let (s, r) = d.forward(x, conditions: c, mode: .evaluation)
            return Self.dot(s, rs) + Self.dot(r, rr)
        }
        let inputGradient = { () -> [Double] in
            _ = d.forward(x, conditions: c, mode: .evaluation)
            return d.backward(score: rs, regression: rr).toArray().map(Double.init)
        }
        let parameterGradient = { () -> [Double] in
            d.store.zeroGradients()
            _ = d.forward(x, conditions: c, mode: .evaluation)
            d.backward(score: rs, regression: rr)
            return (0..<d.store.parameterCount).map { Double(d.store.gradients[$0]) }
        }
        for s in 0..<n {
            Self.check("\(label) ∂x sample \(s)",
                       Self.directional(x.data, (s * 900)..<((s + 1) * 900), &rng, loss: loss, gradient: inputGradient))
        }
        for (name, range) in Self.blocks(d.layers) where !range.isEmpty {
            let singles = name == "k" ? range.map { $0..<($0 + 1) } : [range]
            for (j, block) in singles.enumerated() {
                Self.check("\(label) ∂\(name)\(name == "k" ? "\(j + 1)" : "")",
                           Self.directional(d.store.parameters, block, &rng, loss: loss, gradient: parameterGradient))
            }
        }
    }

    @Test func generatorThroughDiscriminator() {
        var rng = SeededRandom(seed: 12)
        let n = 3
        let g = Generator(config: Self.config, maxBatch: n, rng: &rng)
        let d = Discriminator(config: Self.config, maxBatch: n, spectralNorm: true, rng: &rng)
        let c = Tensor(n: n, c: 5)
        rng.fillNormal(c.buffer)
        rng.fillNormal(g.input.withBatch(n).buffer)
        let rs = Tensor(n: n, c: 1)
        rng.fillNormal(rs.buffer)
        let zeroR = Tensor(n: n, c: 2)
        d.computesParameterGradients = false
        d.computesInputGradient = true
        _ = d.forward(g.forward(batch: n), conditions: c, mode: .training)
        let loss = { () -> Double in Self.dot(d.forward(g.forward(batch: n), conditions: c, mode: .evaluation).score, rs) }
        let gradient = { () -> [Double] in
            g.store.zeroGradients()
            _ = d.forward(g.forward(batch: n), conditions: c, mode: .evaluation)
            g.backward(d.backward(score: rs, regression: zeroR))
            return (0..<g.store.parameterCount).map { Double(g.store.gradients[$0]) }
        }
        d.store.zeroGradients()
        for (name, range) in Self.blocks(g.layers) {
            Self.check("G ∂\(name) through D", Self.directional(g.store.parameters, range, &rng, loss: loss, gradient: gradient))
        }
        // D's weights and biases got no gradient from the G pass (the k_i are cheap scalars
        // and are zeroed before every D step).
        let kStart = d.scaleSlices[0].offset
        #expect((0..<kStart).allSatisfy { d.store.gradients[$0] == 0 })
    }
}
