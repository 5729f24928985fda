import Tensor

/// One worker's scratch for a convolution lowered chunk by chunk (see `Conv2d`): the column
/// matrix of one chunk (patch × S·P), its GEMM output (out × S·P), and private ∂L/∂W (out ×
/// patch) and ∂L/∂b (out) partial sums, reduced after all workers finish; and one sample's
/// zero-padded input planes (`Im2Col`'s scratch).
final class ConvWorkspace {
    let columns: TensorStorage, outputMatrix: TensorStorage, padded: TensorStorage
    let weightGradient: TensorStorage, biasGradient: TensorStorage

    convenience init(_ g: ConvGeometry, outChannels: Int, chunkColumns: Int) {
        self.init(columns: g.patchSize * chunkColumns, outputMatrix: outChannels * chunkColumns,
                  weights: outChannels * g.patchSize, outChannels: outChannels, padded: Im2Col.scratchCount(g))
    }

    /// Scratch of the given sizes in floats (`DirectConv3x3` uses the two matrices as padded planes).
    init(columns: Int, outputMatrix: Int, weights: Int, outChannels: Int, padded: Int = 0) {
        self.padded = TensorStorage(capacity: padded)
        self.columns = TensorStorage(capacity: columns)
        self.outputMatrix = TensorStorage(capacity: outputMatrix)
        weightGradient = TensorStorage(capacity: weights)
        biasGradient = TensorStorage(capacity: outChannels)
    }

    func zeroGradients() {
        weightGradient.data.update(repeating: 0, count: weightGradient.capacity)
        biasGradient.data.update(repeating: 0, count: biasGradient.capacity)
    }
}

/// Samples per chunk for a layer with `pixels` output pixels per sample: enough that the GEMM's
/// column count S·P reaches `targetColumns` (tiny GEMMs are dominated by call and packing
/// costs) while the chunk's column matrix stays cache-sized (the whole-batch lowering streams
/// hundreds of MB per pass at small's G.c2).
func samplesPerChunk(pixels: Int, batch: Int, targetColumns: Int) -> Int {
    max(1, min(batch, targetColumns / max(pixels, 1)))
}
