import Foundation
import TrialProtocol

/// The trial-config values a sweep shows Optuna as parameters: the grid axes it varies, each
/// with an honest distribution over the values the grid gives it: categorical for words,
/// log-uniform for learning rates, uniform floats for margin/α/λ, integers for seeds and
/// counts. A value the same for every trial that has it is left out: it tells nothing, and
/// optuna-dashboard would offer it first in its plots (they list parameters alphabetically).
/// A parameter only some trials have (margin: hinge) is an Optuna conditional parameter.
/// (The architecture joins as one categorical line here once the trial config has it.)
struct OptunaSearchSpace: Sendable {
    enum Kind: Sendable { case categorical, logFloat, float, int }

    struct Axis: Sendable {
        var name: String
        var kind: Kind
        var value: @Sendable (TrialConfig) -> OptunaParam.Value?
    }

    static let axes: [Axis] = [
        Axis(name: "regularizer", kind: .categorical) { .choice($0.training.regularizer.rawValue) },
        Axis(name: "loss", kind: .categorical) { .choice($0.training.loss.rawValue) },
        Axis(name: "arch", kind: .categorical) { .choice($0.model.architecture.rawValue) },
        Axis(name: "lr", kind: .logFloat) { .float($0.training.lr) },
        Axis(name: "margin", kind: .float) { $0.training.margin.map(OptunaParam.Value.float) },
        Axis(name: "alpha", kind: .float) { $0.training.alpha.map(OptunaParam.Value.float) },
        Axis(name: "lambda", kind: .float) { $0.training.lambda.map(OptunaParam.Value.float) },
        Axis(name: "seed", kind: .int) { .int($0.training.seed) },
        Axis(name: "lr_g", kind: .logFloat) { $0.training.lrG.map(OptunaParam.Value.float) },
        Axis(name: "alpha_reg", kind: .float) { .float($0.training.alphaReg) },
        Axis(name: "batch", kind: .int) { .int($0.training.batch) },
        Axis(name: "d_steps", kind: .int) { .int($0.training.dSteps) },
    ]

    /// Axis name → distribution, for the axes the sweep varies, in `axes` order.
    let distributions: [(name: String, distribution: OptunaDistribution, axis: Axis)]

    /// The distributions over `configs` (every trial of the sweep): choices in order of first
    /// appearance, numeric ranges from the smallest to the largest value.
    init(configs: [TrialConfig]) {
        var shown: [(String, OptunaDistribution, Axis)] = []
        for axis in Self.axes {
            let values = configs.compactMap(axis.value)
            guard Set(values.map { "\($0)" }).count > 1 else { continue }
            shown.append((axis.name, Self.distribution(axis.kind, values), axis))
        }
        distributions = shown
    }

    /// The parameters of one trial (those of its axes that apply to it).
    func params(_ config: TrialConfig) -> [OptunaParam] {
        distributions.compactMap { name, distribution, axis in
            axis.value(config).map { OptunaParam(name: name, value: $0, distribution: distribution) }
        }
    }

    private static func distribution(_ kind: Kind, _ values: [OptunaParam.Value]) -> OptunaDistribution {
        func numbers() -> [Double] {
            values.map { if case .float(let x) = $0 { return x } else if case .int(let i) = $0 { return Double(i) } else { return .nan } }
        }
        switch kind {
        case .categorical:
            var choices: [String] = []
            for case .choice(let c) in values where !choices.contains(c) { choices.append(c) }
            return .categorical(choices)
        case .logFloat, .float:
            let xs = numbers()
            return .float(low: xs.min()!, high: xs.max()!, log: kind == .logFloat)
        case .int:
            let xs = numbers()
            return .int(low: Int(xs.min()!), high: Int(xs.max()!))
        }
    }
}
