import Foundation

/// The trial config of docs/worker-protocol.md: everything one worker needs, with every grid
/// value substituted and the preset's defaults for counts made explicit (so two specs that
/// mean the same trial hash the same). Optional model fields stay nil = "the preset's value".
public struct TrialConfig: Codable, Equatable, Hashable, Sendable {
    public struct Dataset: Codable, Equatable, Hashable, Sendable {
        public var source: String            // simulated | npz
        public var path: String?             // absolute, when source is npz
        public var train: Int
        public var test: Int
        public var seed: Int
        public var zOff: Double
        public var threshold: Double
        enum CodingKeys: String, CodingKey { case source, path, train, test, seed, zOff = "z_off", threshold }
    }
    public struct Model: Codable, Equatable, Hashable, Sendable {
        public var preset: String
        public var dZ: Int?
        public var width: Int?
        public var dWidths: [Int]?
        public var fc: [Int]?
        enum CodingKeys: String, CodingKey { case preset, dZ = "d_z", width, dWidths = "d_widths", fc }
    }
    public struct Training: Codable, Equatable, Hashable, Sendable {
        public var epochs: Int
        public var batch: Int
        public var loss: String
        public var dSteps: Int
        public var alphaReg: Double
        public var lr: Double
        public var lrG: Double?
        public var regularizer: String
        public var margin: Double?           // hinge only
        public var alpha: Double?            // alpha-k, l2, linf, hinge
        public var lambda: Double?           // lecam only
        public var seed: Int
        /// nil: the trainer's default (1e8). Omitted from the canonical JSON when nil, so
        /// sweeps made before the option existed keep their config hashes.
        public var divergenceThreshold: Double?
        enum CodingKeys: String, CodingKey {
            case epochs, batch, loss, dSteps = "d_steps", alphaReg = "alpha_reg", lr, lrG = "lr_g"
            case regularizer, margin, alpha, lambda, seed, divergenceThreshold = "divergence_threshold"
        }
    }
    public struct Evaluation: Codable, Equatable, Hashable, Sendable {
        public var evalEvery: Int
        public var clusters: Int
        public var prdRuns: Int
        enum CodingKeys: String, CodingKey { case evalEvery = "eval_every", clusters, prdRuns = "prd_runs" }
    }
    public struct QG: Codable, Equatable, Hashable, Sendable {
        public var epochs: Int
        public var metric: String            // phys_prd | raw_prd
    }

    public var dataset: Dataset
    public var model: Model
    public var training: Training
    public var evaluation: Evaluation
    public var qg: QG

    /// Canonical JSON: sorted keys, no whitespace, nil fields omitted. The config hash is the
    /// SHA-256 of these bytes, so it changes exactly when a value the worker sees changes.
    public var canonicalJSON: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try! encoder.encode(self)   // plain structs of numbers and strings always encode
    }

    /// Lowercase hex SHA-256 of `canonicalJSON`.
    public var configHash: String { ContentHash.sha256Hex(canonicalJSON) }

    /// The file the worker reads (`--config`): pretty JSON, which is valid YAML.
    public var workerFileText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(self), as: UTF8.self) + "\n"
    }
}

/// Which regularizer uses which parameter (SPEC §5.1): a parameter a regularizer does not use
/// never multiplies its trials.
public enum Regularizers {
    public static let all = ["none", "sn", "alpha-k", "l2", "linf", "hinge", "lecam"]
    public static let usingAlpha: Set<String> = ["alpha-k", "l2", "linf", "hinge"]
    public static let usingMargin: Set<String> = ["hinge"]
    public static let usingLambda: Set<String> = ["lecam"]

    public static func uses(_ regularizer: String, _ parameter: String) -> Bool {
        switch parameter {
        case "margin": return usingMargin.contains(regularizer)
        case "alpha": return usingAlpha.contains(regularizer)
        case "lambda": return usingLambda.contains(regularizer)
        default: return false
        }
    }
}

/// The preset counts of SPEC §4 that the scheduler must know to validate and to make trial
/// configs explicit (the network shapes stay the trainer's business).
public struct PresetDefaults: Sendable {
    public let batch, train, test, epochs, clusters, prdRuns: Int

    public static let table: [String: PresetDefaults] = [
        "tiny": PresetDefaults(batch: 64, train: 6_000, test: 2_000, epochs: 30, clusters: 50, prdRuns: 3),
        "small": PresetDefaults(batch: 256, train: 10_000, test: 5_000, epochs: 30, clusters: 100, prdRuns: 3),
        "paper": PresetDefaults(batch: 256, train: 60_000, test: 60_000, epochs: 150, clusters: 400, prdRuns: 10),
    ]
    public static var names: [String] { ["tiny", "small", "paper"] }
}
