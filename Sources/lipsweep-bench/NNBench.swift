import Foundation
import Tensor
import NN

// NN core benchmarks: sgemm at the presets' GEMM shapes, raw sgemm peak at 512³, and
// forward+backward throughput of the `small` preset's Conv2d and Linear layers (batch 256),
// each at 1 and 2 OpenBLAS threads.

let nnBenchSection = BenchSection(name: "nn", summary: "sgemm and layer throughput") { runGemmBench(); runLayerBench() }
let nnLayersBenchSection = BenchSection(name: "nn-layers", summary: "layer throughput only (part of nn)", inAll: false) {
    runLayerBench()
}

/// One weight layer of a preset network (docs/science.md §4): a conv (geometry, out channels) or a linear.
enum LayerShape {
    case conv(String, ConvGeometry, out: Int, sn: Bool)
    case linear(String, inFeatures: Int, out: Int, sn: Bool)

    var name: String {
        switch self { case let .conv(n, _, _, _), let .linear(n, _, _, _): n }
    }

    /// Conv2d's samples per GEMM chunk at its default column budget.
    func chunk(batch b: Int) -> Int {
        guard case let .conv(_, g, _, _) = self else { return b }
        return max(1, min(b, Conv2d.defaultColumnBudget / (g.patchSize * g.outPixels)))
    }

    /// The three GEMMs (m, n, k, transA, transB) of forward, ∂W and ∂x as Conv2d and Linear
    /// issue them at batch `b` (a conv issues each once per chunk: b / chunk times).
    func gemms(batch b: Int) -> [(m: Int, n: Int, k: Int, tA: Bool, tB: Bool, role: String)] {
        switch self {
        case let .conv(_, g, o, _):
            let cols = chunk(batch: b) * g.outPixels, p = g.patchSize
            return [(o, cols, p, false, false, "fwd"), (o, p, cols, false, true, "dW"), (p, cols, o, true, false, "dx")]
        case let .linear(_, i, o, _):
            return [(b, o, i, false, true, "fwd"), (o, i, b, true, false, "dW"), (b, i, o, false, false, "dx")]
        }
    }
}

struct PresetShapes {
    let name: String, batch: Int, dz: Int, c: Int, w: [Int], f: [Int]

    static let all = [
        PresetShapes(name: "tiny", batch: 64, dz: 32, c: 16, w: [8, 16, 32, 32, 32], f: [64, 32]),
        PresetShapes(name: "small", batch: 256, dz: 64, c: 32, w: [16, 32, 64, 64, 64], f: [128, 64]),
        PresetShapes(name: "paper", batch: 256, dz: 256, c: 64, w: [32, 64, 128, 128, 128], f: [256, 128]),
    ]

    var generator: [LayerShape] {
        [.linear("G.fc1", inFeatures: dz + 5, out: 256, sn: false),
         .linear("G.fc2", inFeatures: 256, out: c * 64, sn: false),
         .conv("G.c1", ConvGeometry(channels: c, height: 16, width: 16, kernel: 3, padding: 1), out: c, sn: false),
         .conv("G.c2", ConvGeometry(channels: c, height: 32, width: 32, kernel: 3, padding: 1), out: c / 2, sn: false),
         .conv("G.c3", ConvGeometry(channels: c / 2, height: 32, width: 32, kernel: 3), out: 1, sn: false)]
    }

    var discriminator: [LayerShape] {
        let s2 = { (ch: Int, side: Int) in ConvGeometry(channels: ch, height: side, width: side, kernel: 3, stride: 2, padding: 1) }
        let s1 = { (ch: Int, side: Int) in ConvGeometry(channels: ch, height: side, width: side, kernel: 3, padding: 1) }
        return [.conv("D.c1", s1(1, 30), out: w[0], sn: true),
                .conv("D.c2", s2(w[0], 30), out: w[1], sn: true),
                .conv("D.c3", s2(w[1], 15), out: w[2], sn: true),
                .conv("D.rc", s2(w[2], 8), out: w[1], sn: true),
                .linear("D.rf", inFeatures: w[1] * 16, out: 2, sn: true),
                .conv("D.c4", s2(w[2], 8), out: w[3], sn: true),
                .conv("D.c5", s1(w[3], 4), out: w[4], sn: true),
                .linear("D.f1", inFeatures: w[4] * 16 + 7, out: f[0], sn: true),
                .linear("D.f2", inFeatures: f[0], out: f[1], sn: true),
                .linear("D.f3", inFeatures: f[1], out: 1, sn: true)]
    }
}

/// GFLOP/s of C ← op(A)·op(B) at (m, n, k): 2mnk flops per call, fastest of repeated calls,
/// by wall time and by CPU time.
func sgemmRate(m: Int, n: Int, k: Int, transA: Bool = false, transB: Bool = false) -> (wall: Double, cpu: Double) {
    let a = TensorStorage(capacity: m * k), b = TensorStorage(capacity: k * n), c = TensorStorage(capacity: m * n)
    var rng = SeededRandom(seed: 1)
    rng.fillNormal(.init(start: a.data, count: m * k)); rng.fillNormal(.init(start: b.data, count: k * n))
    let t = measure(minimumSeconds: 0.15) {
        BLAS.sgemm(transA: transA, transB: transB, m: m, n: n, k: k,
                   a: a.data, lda: transA ? m : k, b: b.data, ldb: transB ? k : n, c: c.data, ldc: n)
    }
    let flops = 2 * Double(m * n * k)
    return (flops / t.best / 1e9, flops / t.bestCPU / 1e9)
}

/// Forward + backward of one layer at batch `b`: (samples/s, GFLOP/s counting the 3 GEMMs).
func layerRate(_ shape: LayerShape, batch b: Int,
               columnBudget: Int = Conv2d.defaultColumnBudget)
    -> (samples: Double, gflops: Double, cpuSamples: Double, forwardSamples: Double, forwardCPUSamples: Double) {
    let store = ParameterStore()
    var rng = SeededRandom(seed: 2)
    let chunks = Double((b + shape.chunk(batch: b) - 1) / shape.chunk(batch: b))
    let flops = chunks * shape.gemms(batch: b).reduce(0.0) { $0 + 2 * Double($1.m * $1.n * $1.k) }
    let best: Timing, forward: Timing
    switch shape {
    case let .conv(_, g, o, sn):
        let layer = Conv2d(g, outChannels: o, maxBatch: b, store: store, rng: &rng, spectralNorm: sn,
                           columnBudget: columnBudget)
        let x = Tensor(n: b, c: g.channels, h: g.height, w: g.width)
        rng.fillNormal(x.buffer)
        let dy = Tensor(n: b, c: o, h: g.outHeight, w: g.outWidth)
        rng.fillNormal(dy.buffer)
        best = measure { _ = layer.forward(x); _ = layer.backward(dy) }
        forward = measure { _ = layer.forward(x) }
    case let .linear(_, i, o, sn):
        let layer = Linear(i, o, maxBatch: b, store: store, rng: &rng, spectralNorm: sn)
        let x = Tensor(n: b, c: i), dy = Tensor(n: b, c: o)
        rng.fillNormal(x.buffer); rng.fillNormal(dy.buffer)
        best = measure { _ = layer.forward(x); _ = layer.backward(dy) }
        forward = measure { _ = layer.forward(x) }
    }
    return (Double(b) / best.best, flops / best.best / 1e9, Double(b) / best.bestCPU,
            Double(b) / forward.best, Double(b) / forward.bestCPU)
}

let threadCounts = [1, 2]

func runGemmBench() {
    print("== nn: sgemm (row-major, OpenBLAS), GFLOP/s = 2mnk / fastest call ==")
    for t in threadCounts {
        BLAS.threads = t
        let r = sgemmRate(m: 512, n: 512, k: 512)
        print("raw sgemm peak 512×512×512, \(t) thread(s): \(fixed(r.wall)) GFLOP/s wall"
              + (t == 1 ? ", \(fixed(r.cpu)) by CPU time" : ""))
    }
    for preset in PresetShapes.all {
        print("-- \(preset.name): GEMM shapes as issued (G at batch \(preset.batch), D at 2×\(preset.batch) = real+fake; "
              + "convs: one call per chunk of samples, calls per batch in ×) --")
        print(pad("layer", 8) + pad("gemm", 5) + pad("m×n×k (op)", 26) + pad("calls", 7) + pad("1T cpu", 10)
              + threadCounts.map { pad("\($0)T wall", 10) }.joined())
        let layers = preset.generator.map { ($0, preset.batch) } + preset.discriminator.map { ($0, 2 * preset.batch) }
        for (layer, b) in layers {
            for g in layer.gemms(batch: b) {
                let op = (g.tA ? "Aᵀ" : "A") + (g.tB ? "Bᵀ" : "B")
                let calls = (b + layer.chunk(batch: b) - 1) / layer.chunk(batch: b)
                var line = pad(layer.name, 8) + pad(g.role, 5) + pad("\(g.m)×\(g.n)×\(g.k) \(op)", 26) + pad("×\(calls)", 7)
                var cells: [String] = []
                for t in threadCounts {
                    BLAS.threads = t
                    let r = sgemmRate(m: g.m, n: g.n, k: g.k, transA: g.tA, transB: g.tB)
                    if t == 1 { line += pad(fixed(r.cpu), 10) }
                    cells.append(pad(fixed(r.wall), 10))
                }
                line += cells.joined()
                print(line)
            }
        }
    }
    BLAS.threads = 1
}

func runLayerBench() {
    let small = PresetShapes.all[1], batch = 256
    // Chunk size of the conv lowering: column-matrix floats per GEMM chunk (1 thread).
    let budgets = [1 << 14, 1 << 16, 1 << 18, 1 << 20, 1 << 40]
    print("== nn: Conv2d fwd+bwd samples/s vs column floats per chunk, `small`, batch \(batch), 1 thread, by CPU time ==")
    print(pad("layer", 8) + budgets.map { pad($0 == 1 << 40 ? "whole batch" : "\($0 >> 10)K", 13) }.joined())
    BLAS.threads = 1
    for layer in small.generator + small.discriminator {
        guard case .conv = layer else { continue }
        print(pad(layer.name, 8) + budgets.map { pad(fixed(layerRate(layer, batch: batch, columnBudget: $0).cpuSamples, 0), 13) }.joined())
    }
    print("== nn: forward+backward per layer, `small` preset, batch \(batch) (D layers with SN) ==")
    print("   (1T cpu: by CPU time; wall: by wall time on the shared machine)")
    print(pad("layer", 8) + pad("1T cpu samples/s", 18) + pad("GF/s", 8)
          + threadCounts.map { pad("\($0)T wall samples/s", 20) + pad("GF/s", 8) }.joined())
    let columns = threadCounts.count + 1   // index 0: 1 thread by CPU time; then wall per thread count
    var totalSeconds = [Double](repeating: 0, count: columns)
    var dSeconds = totalSeconds, gSeconds = totalSeconds, gForwardSeconds = totalSeconds
    for layer in small.generator + small.discriminator {
        var line = pad(layer.name, 8)
        var rates: [Double] = [], forwardRates: [Double] = [], cells: [String] = []
        for t in threadCounts {
            BLAS.threads = t
            let r = layerRate(layer, batch: batch)
            if t == 1 {
                line += pad(fixed(r.cpuSamples, 0), 18) + pad(fixed(r.gflops * r.cpuSamples / r.samples), 8)
                rates.append(r.cpuSamples); forwardRates.append(r.forwardCPUSamples)
            }
            rates.append(r.samples); forwardRates.append(r.forwardSamples)
            cells.append(pad(fixed(r.samples, 0), 20) + pad(fixed(r.gflops), 8))
        }
        line += cells.joined()
        for (i, rate) in rates.enumerated() {
            let seconds = Double(batch) / rate
            totalSeconds[i] += seconds
            if layer.name.hasPrefix("D") { dSeconds[i] += seconds } else {
                gSeconds[i] += seconds; gForwardSeconds[i] += Double(batch) / forwardRates[i]
            }
        }
        print(line)
    }
    for (i, label) in (["1 thread by CPU time"] + threadCounts.map { "\($0) thread(s) wall" }).enumerated() {
        // Per 256 training samples: one D step (D fwd+bwd on 2×256), G fwd for the fakes, and
        // a third of a G step (G fwd+bwd, D fwd+bwd on 256). D at 2×256 is charged as twice
        // D at 256 (what the table measured).
        let perBatch = 2 * dSeconds[i] + gForwardSeconds[i] + (gSeconds[i] + dSeconds[i]) / 3
        print("\(label): sum of weight-layer fwd+bwd = \(fixed(totalSeconds[i] * 1000, 2)) ms per 256 samples; "
              + "training estimate from these layers ≈ \(fixed(Double(batch) / perBatch, 0)) samples/s "
              + "(weight layers only; activations, losses, Adam excluded)")
    }
    BLAS.threads = 1
}
