import Foundation
import NN
import Tensor

/// The ResNet discriminator of docs/science.md §4.1 (twin: scripts/twin_resnet.py `D`). Input x
/// (n, 1, 30, 30) and the standardised condition c (n, 5); φ = LeakyReLU(0.2):
///   h1 = block1(x)                      down-block 1 → w1, 30 → 15
///   h2 = block2(φ(h1); h1)              down-block w1 → w2, 15 → 7
///   r  = regFC(flatten(φ(regConv(φ(h2)))))   regConv 3×3 s2 p1 w2 → w2 (4×4), regFC w2·16 → 2
///   h3 = block3(φ(h2); h2)              down-block w2 → w3, 7 → 3
///   h4 = block4(φ(h3); h3)              block w3 → w4, 3×3
///   D  = k3·FC3(φ(k2·FC2(φ(k1·FC1([Σ_pixels φ(h4), r, c])))))
/// A block's residual path reads φ(input) (blocks 2–4: the activation between the convolutions
/// of consecutive blocks) and its shortcut the raw input (`DownBlock`). With spectral
/// normalisation every convolution and linear weight (shortcuts and regressor included) is
/// divided by its σ. No batch norm. r predicts (asym_along, asym_across) of x.
public final class ResNetDiscriminator: DiscriminatorNetwork {
    public let config: ModelConfig
    public let maxBatch: Int
    public let spectralNorm: Bool
    public let store: ParameterStore
    let block1: DownBlock, block2: DownBlock, block3: DownBlock, block4: DownBlock
    let act1: LeakyReLU, act2: LeakyReLU, act3: LeakyReLU, act4: LeakyReLU
    let pool: GlobalSumPool
    /// LeakyReLU fused (its output is φ(regConv(·))).
    let regConv: Conv2d, regFC: Linear
    /// FC1×k1 → FC2×k2 → FC3×k3 on [pooled, r, c] (§4's head).
    let head: DiscriminatorHead
    /// b1–b4, rc, rf, then the head's layers: allocation order, the twin's names; block 1's
    /// residual convolution and shortcut read x.
    public let network: NetworkLayers
    public let scaleSlices: [ParameterSlice]

    public init(config: ModelConfig, maxBatch: Int, spectralNorm: Bool, rng: inout SeededRandom) {
        self.config = config; self.maxBatch = maxBatch; self.spectralNorm = spectralNorm
        let store = ParameterStore()
        self.store = store
        let w = config.discriminatorWidths, f = config.fullyConnected, sn = spectralNorm, slope = ModelConfig.leakySlope
        func block(_ cin: Int, _ cout: Int, _ side: Int, down: Bool, _ rng: inout SeededRandom) -> DownBlock {
            DownBlock(cin, cout, side: side, downsample: down, maxBatch: maxBatch, store: store, spectralNorm: sn, rng: &rng)
        }
        block1 = block(1, w[0], 30, down: true, &rng)
        block2 = block(w[0], w[1], 15, down: true, &rng)
        block3 = block(w[1], w[2], 7, down: true, &rng)
        block4 = block(w[2], w[3], 3, down: false, &rng)
        act1 = LeakyReLU(features: w[0] * 225, maxBatch: maxBatch, slope: slope)
        act2 = LeakyReLU(features: w[1] * 49, maxBatch: maxBatch, slope: slope)
        act3 = LeakyReLU(features: w[2] * 9, maxBatch: maxBatch, slope: slope)
        act4 = LeakyReLU(features: w[3] * 9, maxBatch: maxBatch, slope: slope)
        pool = GlobalSumPool(channels: w[3], height: 3, width: 3, maxBatch: maxBatch)
        regConv = Conv2d(ConvGeometry(channels: w[1], height: 7, width: 7, kernel: 3, stride: 2, padding: 1),
                         outChannels: w[1], maxBatch: maxBatch, store: store, rng: &rng, spectralNorm: sn)
        regConv.activationSlope = slope
        regFC = Linear(w[1] * 16, 2, maxBatch: maxBatch, store: store, rng: &rng, spectralNorm: sn)
        head = DiscriminatorHead(features: w[3], fullyConnected: f, maxBatch: maxBatch, store: store, spectralNorm: sn,
                                 rng: &rng)
        var network = NetworkLayers()
        for (name, block) in [("b1", block1), ("b2", block2), ("b3", block3), ("b4", block4)] {
            network.append(contentsOf: block.network, prefix: name)
        }
        for act in [act1, act2, act3, act4] { network.append(nil, act) }
        network.append(nil, pool)
        network.append("rc", regConv); network.append("rf", regFC)
        network.append(contentsOf: head.network)
        network.inputLayers = [block1.convA, block1.shortcut]
        self.network = network
        scaleSlices = head.scaleSlices
        computesInputGradient = false
    }

    public func forward(_ x: Tensor, conditions c: Tensor, mode: ForwardMode) -> (score: Tensor, regression: Tensor) {
        let n = x.n
        precondition(c.n == n && c.featureCount == ConditionLayout.dimension, "ResNetDiscriminator: condition shape")
        let h1 = block1.forward(x, shortcut: x, mode: mode)
        let h2 = block2.forward(act1.forward(h1), shortcut: h1, mode: mode)
        let a2 = act2.forward(h2)
        let r = regFC.forward(regConv.forward(a2, mode: mode).flattened(), mode: mode)
        let h3 = block3.forward(a2, shortcut: h2, mode: mode)
        let h4 = block4.forward(act3.forward(h3), shortcut: h3, mode: mode)
        let pooled = pool.forward(act4.forward(h4))
        return (head.forward(features: pooled, regression: r, conditions: c, mode: mode), r)
    }

    @discardableResult
    public func backward(score dScore: Tensor, regression dRegression: Tensor) -> Tensor {
        let n = dScore.n
        let (dPooled, dR) = head.backward(score: dScore, regression: dRegression)
        let w = config.discriminatorWidths
        // Each h_i feeds the next block's residual path through φ and its shortcut directly;
        // φ(h2) also feeds the regressor.
        let (dA3, dH3Shortcut) = block4.backward(act4.backward(pool.backward(dPooled)))
        let dH3 = act3.backward(dA3)
        dH3.add(dH3Shortcut)
        let (dA2, dH2Shortcut) = block3.backward(dH3)
        let dRegFlat = regFC.backward(dR)
        dA2.add(regConv.backward(dRegFlat.reshaped(n: n, c: w[1], h: 4, w: 4)))
        let dH2 = act2.backward(dA2)
        dH2.add(dH2Shortcut)
        let (dA1, dH1Shortcut) = block2.backward(dH2)
        let dH1 = act1.backward(dA1)
        dH1.add(dH1Shortcut)
        let (dX, dXShortcut) = block1.backward(dH1)
        if computesInputGradient { dX.add(dXShortcut) }
        return dX
    }

    /// The bound of docs/science.md §5.1 ("The bound of the ResNet D"), a true upper bound on
    /// the Lipschitz constant of x ↦ D(x, c) in ℓ2:
    ///   L = |k1 k2 k3|·σ(FC1)σ(FC2)σ(FC3)·√(L_main² + L_reg²)
    ///   L_main = B1·B2·B3·B4·√(3·3),   L_reg = B1·B2·‖regConv‖·σ(regFC)
    ///   B (down-block) = ½·(‖convA‖·‖convB‖ + σ(shortcut)),   B4 = ‖convA‖·‖convB‖ + σ(shortcut)
    /// with ‖conv‖ ≤ ⌈k/s⌉·σ(W as out × in·k·k), ½ the norm of 2×2 average pooling, √(H·W)
    /// that of sum pooling over H×W (`OperatorNormBound`), and φ 1-Lipschitz. The regressor's
    /// output r enters FC1 beside the pooled features, so both paths count:
    /// ‖(Δpooled, Δr)‖ ≤ √(L_main² + L_reg²)·‖Δx‖.
    public func lipschitzBound() -> Double {
        let b1 = block1.lipschitzBound(store), b2 = block2.lipschitzBound(store)
        let main = b1 * b2 * block3.lipschitzBound(store) * block4.lipschitzBound(store)
            * OperatorNormBound.sumPool(height: pool.height, width: pool.width)
        let regressor = b1 * b2 * OperatorNormBound.convolution(regConv, store: store) * sigma(regFC.weight)
        return head.lipschitzBound(store) * (main * main + regressor * regressor).squareRoot()
    }

    private func sigma(_ w: LayerWeight) -> Double { OperatorNormBound.matrix(w, store: store) }
}

/// One residual block of the ResNet D (docs/science.md §4.1), (cin, s, s) → (cout, s', s'):
///   residual  Conv3×3 p1 → φ → Conv3×3 p1 [→ AvgPool2]   on the block's residual input
///   shortcut  [AvgPool2 →] Conv1×1                      on the block's shortcut input
///   output    residual + shortcut
/// (s' = ⌊s/2⌋ with pooling). The residual path's second convolution and its pooling run as one
/// 4×4 stride-2 convolution (`Conv2d.averagePooled`: 16/36 of the work). The shortcut pools
/// before its Conv1×1: both are linear and act on different axes, so Conv1×1 → AvgPool2 (the
/// spec's order) is the same function, on 4× fewer pixels. Every weight is spectrally
/// normalised under SN.
struct DownBlock {
    let inChannels: Int, outChannels: Int, side: Int, downsample: Bool
    let convA: Conv2d, convB: Conv2d
    let poolShortcut: AveragePool2x2?
    let shortcut: Conv1x1
    let sum: ResidualSum
    /// c1, c2 and sc as the twin's modules report them (c2 and sc before their pooling: s × s),
    /// and the shortcut's pooling.
    let network: NetworkLayers

    init(_ cin: Int, _ cout: Int, side s: Int, downsample: Bool, maxBatch: Int, store: ParameterStore,
         spectralNorm sn: Bool, rng: inout SeededRandom) {
        inChannels = cin; outChannels = cout; side = s; self.downsample = downsample
        convA = Conv2d(ConvGeometry(channels: cin, height: s, width: s, kernel: 3, padding: 1), outChannels: cout,
                       maxBatch: maxBatch, store: store, rng: &rng, spectralNorm: sn)
        convA.activationSlope = ModelConfig.leakySlope
        convB = Conv2d(ConvGeometry(channels: cout, height: s, width: s, kernel: 3, padding: 1), outChannels: cout,
                       maxBatch: maxBatch, store: store, rng: &rng, spectralNorm: sn, averagePooled: downsample)
        let out = downsample ? s / 2 : s
        shortcut = Conv1x1(inChannels: cin, outChannels: cout, height: out, width: out, maxBatch: maxBatch,
                           store: store, rng: &rng, spectralNorm: sn)
        poolShortcut = downsample ? AveragePool2x2(channels: cin, height: s, width: s, maxBatch: maxBatch) : nil
        sum = ResidualSum(channels: cout, height: out, width: out, maxBatch: maxBatch)
        var network = NetworkLayers()
        network.append("c1", convA)
        network.append("c2", convB, reportedShape: [cout, s, s])
        if let poolShortcut { network.append(nil, poolShortcut) }
        network.append("sc", shortcut, reportedShape: [cout, s, s])
        self.network = network
    }

    func forward(_ x: Tensor, shortcut input: Tensor, mode: ForwardMode) -> Tensor {
        let residual = convB.forward(convA.forward(x, mode: mode), mode: mode)
        let skip = downsample ? poolShortcut!.forward(input) : input
        return sum.forward(residual, shortcut.forward(skip, mode: mode))
    }

    /// (∂L/∂residual input, ∂L/∂shortcut input) of the last forward; with the convolutions'
    /// `computesInputGradient` false (block 1 in a D step: x needs none) both are left unset.
    func backward(_ dOut: Tensor) -> (residual: Tensor, shortcut: Tensor) {
        let (dResidual, dSkip) = sum.backward(dOut)
        let dx = convA.backward(convB.backward(dResidual))
        var ds = shortcut.backward(dSkip)
        if let poolShortcut, shortcut.computesInputGradient { ds = poolShortcut.backward(ds) }
        return (dx, ds)
    }

    /// ‖block‖ ≤ pool·(‖convA‖·‖convB‖ + σ(shortcut)), pool = ½ when it downsamples, else 1
    /// (φ between the convolutions is 1-Lipschitz; a sum's bound is the sum of its paths'; the
    /// pooling is on both paths; a 1×1 convolution's norm is its matrix's σ).
    func lipschitzBound(_ store: ParameterStore) -> Double {
        let residual = OperatorNormBound.convolution(convA, store: store) * OperatorNormBound.convolution(convB, store: store)
        return (downsample ? OperatorNormBound.averagePool2x2 : 1)
            * (residual + OperatorNormBound.matrix(shortcut.weight, store: store))
    }
}
