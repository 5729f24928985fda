import NN

extension LayerSummary {
    /// The fused upsample→conv layer reports what the twin's Conv2d after F.interpolate does.
    init(_ name: String, _ layer: UpsampleConv2d) {
        self.init(name: name, outputShape: [layer.output.c, layer.output.h, layer.output.w],
                  parameters: layer.weight.slice.count + layer.bias.count)
    }
}
