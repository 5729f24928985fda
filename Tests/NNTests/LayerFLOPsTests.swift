import Testing
import Tensor
import NN

/// The roofline's operation counts, against counts written out independently from the
/// definitions: a dense layer 2·in·out multiply-add operations (+ bias), a convolution
/// 2·out·in·k²·Ho·Wo (+ bias, + a fused activation), the sub-pixel layer its 4·out × in·4
/// kernel over the (H+1)(W+1) low-resolution positions; and the GEMM shapes the layers issue.
@Suite struct LayerFLOPsTests {
    @Test func denseLayer() {
        var rng = SeededRandom(seed: 1)
        let fc = Linear(37, 256, maxBatch: 64, store: ParameterStore(), rng: &rng)
        #expect(fc.flopsPerSample == LayerFLOPs(forward: 2 * 37 * 256 + 256, inputGradient: 2 * 37 * 256,
                                                parameterGradient: 2 * 37 * 256 + 256))
        #expect(fc.forwardGEMM(batch: 64) == GEMMShape(m: 64, n: 256, k: 37))
        #expect(fc.inputShape == [37])
    }

    @Test func stridedConvolutionWithActivation() {
        var rng = SeededRandom(seed: 1)
        // D's conv2 of tiny: 8 → 16 channels, 30×30 → 15×15 (3×3, stride 2, padding 1).
        let conv = Conv2d(ConvGeometry(channels: 8, height: 30, width: 30, kernel: 3, stride: 2, padding: 1), outChannels: 16,
                          maxBatch: 128, store: ParameterStore(), rng: &rng)
        conv.activationSlope = 0.2
        let macs = 16 * 8 * 9 * 225, outputs = 16 * 225
        #expect(conv.flopsPerSample == LayerFLOPs(forward: 2 * macs + 2 * outputs,
                                                  inputGradient: 2 * macs + 8 * 9 * 225 + outputs,
                                                  parameterGradient: 2 * macs + outputs))
        #expect(conv.forwardGEMM(batch: 128) == GEMMShape(m: 16, n: conv.chunk * 225, k: 72))
        #expect(conv.inputShape == [8, 30, 30] && conv.outputShape == [16, 15, 15])
    }

    @Test func subPixelConvolution() {
        var rng = SeededRandom(seed: 1)
        let layer = UpsampleConv2d(channels: 16, height: 8, width: 8, outChannels: 16, maxBatch: 64, store: ParameterStore(),
                                   rng: &rng)
        let gemm = 2 * (4 * 16) * (16 * 4) * 81, outputs = 16 * 256
        #expect(layer.flopsPerSample == LayerFLOPs(forward: gemm + outputs, inputGradient: gemm + 16 * 4 * 81,
                                                   parameterGradient: gemm + outputs))
        #expect(layer.forwardGEMM(batch: 64) == GEMMShape(m: 64, n: layer.chunk * 81, k: 64))
        #expect(layer.inputShape == [16, 8, 8])
    }

    @Test func spectralNormCounts() {
        var rng = SeededRandom(seed: 1)
        let fc = Linear(64, 32, maxBatch: 8, store: ParameterStore(), rng: &rng, spectralNorm: true)
        let sn = fc.spectralNorm!
        #expect(sn.powerStepFLOPs == 4 * 64 * 32 + 3 * (64 + 32))
        #expect(sn.refreshFLOPs == 3 * 64 * 32 + 2 * 32)
    }
}
