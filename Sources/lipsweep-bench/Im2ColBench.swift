import NN
import Tensor

/// ns per column-matrix float of im2col and col2im at the presets' conv shapes (one chunk of
/// samples as Conv2d lowers it, 1 thread, by CPU time): the lowering's own cost beside the GEMM.
let im2colBenchSection = BenchSection(name: "im2col", summary: "im2col/col2im ns per column float (part of nn)", inAll: false) {
    runIm2ColBench()
}

func runIm2ColBench() {
    print("== nn: im2col / col2im, one chunk (S·Ho·Wo ≈ \(Conv2d.defaultChunkColumns) columns), ns per column float by CPU time ==")
    print(pad("layer", 14) + pad("patch×cols", 14) + pad("im2col", 10) + pad("col2im", 10))
    for preset in PresetShapes.all.prefix(2) {
        for layer in preset.discriminator {
            guard case let .conv(name, g, _, _) = layer, g.channels > 1 else { continue }
            let samples = max(1, Conv2d.defaultChunkColumns / g.outPixels)
            let x = TensorStorage(capacity: samples * g.inputFeatures)
            let col = TensorStorage(capacity: g.patchSize * samples * g.outPixels)
            let scratch = TensorStorage(capacity: Im2Col.scratchCount(g))
            var rng = SeededRandom(seed: 3)
            rng.fillNormal(.init(start: x.data, count: x.capacity))
            let forward = measure(minimumSeconds: 0.2) {
                Im2Col.im2col(x.data, batch: samples, geometry: g, into: col.data, padded: scratch.data)
            }
            let adjoint = measure(minimumSeconds: 0.2) {
                Im2Col.col2im(col.data, batch: samples, geometry: g, into: x.data, padded: scratch.data)
            }
            let floats = Double(col.capacity)
            print(pad("\(preset.name) \(name)", 14) + pad("\(g.patchSize)×\(samples * g.outPixels)", 14)
                  + pad(fixed(forward.bestCPU / floats * 1e9, 2), 10) + pad(fixed(adjoint.bestCPU / floats * 1e9, 2), 10))
        }
    }
}
