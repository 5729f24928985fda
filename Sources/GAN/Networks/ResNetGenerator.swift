import NN
import Tensor

/// The ResNet generator of docs/science.md §4.1 (HingeRLC paper; twin: scripts/twin_resnet.py `G`):
///   [z, c] (d_z+5) → Linear → C·8·8 → reshape C×8×8
///   → up-block(C → C) 16×16 → up-block(C → C/2) 32×32 → BN → ReLU → Conv3×3 p0 (C/2 → 1) : 1×30×30,
/// linear output in log(1+E) space. Every up-block's batch norms are conditional on the
/// standardised condition c (`UpBlock`); the last BN is a plain one (no affine). Training
/// forwards normalise with batch statistics and update the running ones; evaluation forwards
/// (generation, evaluation, the Lipschitz estimate's fakes) use the running ones, which live in
/// `store`'s buffers and so in every checkpoint.
public final class ResNetGenerator: GeneratorNetwork {
    public let config: ModelConfig
    public let maxBatch: Int
    public let store = ParameterStore()
    public let input: Tensor
    let fc: Linear
    let block1: UpBlock, block2: UpBlock
    let bn: BatchNorm2d, relu: LeakyReLU
    let conv: Conv2d
    /// fc, b1, b2, bn, c (and the ReLU): allocation order, the twin's names.
    public let network: NetworkLayers
    /// The condition columns of `input`, contiguous (maxBatch, 5): the conditional batch
    /// norms' second input, written by each forward.
    private let conditions: Tensor

    public init(config: ModelConfig, maxBatch: Int, rng: inout SeededRandom) {
        self.config = config; self.maxBatch = maxBatch
        let c = config.width, inputs = config.latent + ConditionLayout.dimension
        input = Tensor(n: maxBatch, c: inputs)
        conditions = Tensor(n: maxBatch, c: ConditionLayout.dimension)
        fc = Linear(inputs, c * 64, maxBatch: maxBatch, store: store, rng: &rng)
        fc.computesInputGradient = false
        block1 = UpBlock(c, c, side: 8, conditions: conditions, maxBatch: maxBatch, store: store, rng: &rng)
        block2 = UpBlock(c, c / 2, side: 16, conditions: conditions, maxBatch: maxBatch, store: store, rng: &rng)
        bn = BatchNorm2d(channels: c / 2, height: 32, width: 32, maxBatch: maxBatch, store: store)
        relu = LeakyReLU.relu(features: c / 2 * 1024, maxBatch: maxBatch)
        conv = Conv2d(ConvGeometry(channels: c / 2, height: 32, width: 32, kernel: 3, padding: 0),
                      outChannels: 1, maxBatch: maxBatch, store: store, rng: &rng)
        var network = NetworkLayers()
        network.append("fc", fc)
        network.append(contentsOf: block1.network, prefix: "b1"); network.append(contentsOf: block2.network, prefix: "b2")
        network.append("bn", bn); network.append(nil, relu); network.append("c", conv)
        self.network = network
    }

    public func forward(batch n: Int, mode: ForwardMode) -> Tensor {
        let dz = config.latent, dc = ConditionLayout.dimension, width = dz + dc
        for s in 0..<n { (conditions.data + s * dc).update(from: input.data + s * width + dz, count: dc) }
        var h = fc.forward(input.withBatch(n)).reshaped(n: n, c: config.width, h: 8, w: 8)
        h = block2.forward(block1.forward(h, mode: mode), mode: mode)
        return conv.forward(relu.forward(bn.forward(h, mode: mode)))
    }

    public func backward(_ dOut: Tensor) {
        let d = block1.backward(block2.backward(bn.backward(relu.backward(conv.backward(dOut)))))
        _ = fc.backward(d.reshaped(n: d.n, c: config.width * 64))
    }
}

/// One up-block of docs/science.md §4.1, (cin, s, s) → (cout, 2s, 2s):
///   main      CBN → ReLU → nearest×2 → Conv3×3 p1 → CBN → ReLU → Conv3×3 p1
///   shortcut  nearest×2 → Conv1×1
///   output    main + shortcut
/// CBN = BatchNorm2d (no affine) then ConditionalAffine (γ(c) = 1 + W_γ·c, β(c) = W_β·c, c the
/// rows of `conditions`) with the ReLU fused. Nearest×2 → Conv3×3 runs as one sub-pixel convolution (UpsampleConv2d).
/// The shortcut's Conv1×1 runs before the upsampling: both are linear and act on different axes
/// (channels, pixels), so they commute, and the 1×1 convolution then touches 4× fewer pixels.
struct UpBlock {
    let inChannels: Int, outChannels: Int, side: Int
    let bn1: BatchNorm2d, cbn1: ConditionalAffine, conv1: UpsampleConv2d
    let bn2: BatchNorm2d, cbn2: ConditionalAffine, conv2: Conv2d
    let shortcut: Conv1x1, upsample: Upsample2x
    let sum: ResidualSum
    /// The twin's modules cbn1 (bn1 + its affine), c1, cbn2, c2, sc (its Conv1×1 after the
    /// upsampling, so at 2s × 2s).
    let network: NetworkLayers

    init(_ cin: Int, _ cout: Int, side s: Int, conditions: Tensor, maxBatch: Int, store: ParameterStore,
         rng: inout SeededRandom) {
        inChannels = cin; outChannels = cout; side = s
        bn1 = BatchNorm2d(channels: cin, height: s, width: s, maxBatch: maxBatch, store: store)
        cbn1 = ConditionalAffine(channels: cin, height: s, width: s, conditions: conditions, maxBatch: maxBatch, store: store)
        cbn1.activationSlope = 0
        conv1 = UpsampleConv2d(channels: cin, height: s, width: s, outChannels: cout, maxBatch: maxBatch,
                               store: store, rng: &rng)
        bn2 = BatchNorm2d(channels: cout, height: 2 * s, width: 2 * s, maxBatch: maxBatch, store: store)
        cbn2 = ConditionalAffine(channels: cout, height: 2 * s, width: 2 * s, conditions: conditions, maxBatch: maxBatch,
                                 store: store)
        cbn2.activationSlope = 0
        conv2 = Conv2d(ConvGeometry(channels: cout, height: 2 * s, width: 2 * s, kernel: 3, padding: 1),
                       outChannels: cout, maxBatch: maxBatch, store: store, rng: &rng)
        shortcut = Conv1x1(inChannels: cin, outChannels: cout, height: s, width: s, maxBatch: maxBatch,
                           store: store, rng: &rng)
        upsample = Upsample2x(channels: cout, height: s, width: s, maxBatch: maxBatch)
        sum = ResidualSum(channels: cout, height: 2 * s, width: 2 * s, maxBatch: maxBatch)
        var network = NetworkLayers()
        network.append("cbn1", bn1); network.append("cbn1", cbn1); network.append("c1", conv1)
        network.append("cbn2", bn2); network.append("cbn2", cbn2); network.append("c2", conv2)
        network.append("sc", shortcut, reportedShape: [cout, 2 * s, 2 * s]); network.append(nil, upsample)
        self.network = network
    }

    func forward(_ x: Tensor, mode: ForwardMode) -> Tensor {
        var h = conv1.forward(cbn1.forward(bn1.forward(x, mode: mode)))
        h = conv2.forward(cbn2.forward(bn2.forward(h, mode: mode)))
        return sum.forward(h, upsample.forward(shortcut.forward(x)))
    }

    /// ∂L/∂x of the last forward (main path + shortcut, summed into bn1's gradient buffer).
    func backward(_ dOut: Tensor) -> Tensor {
        let (dMain, dShortcut) = sum.backward(dOut)
        let d = bn1.backward(cbn1.backward(conv1.backward(bn2.backward(cbn2.backward(conv2.backward(dMain))))))
        d.add(shortcut.backward(upsample.backward(dShortcut)))
        return d
    }
}
