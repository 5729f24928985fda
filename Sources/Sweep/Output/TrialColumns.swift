import TrialProtocol

/// A trial with the per-trial summaries of its epochs: the rows of `query` and the report.
public struct TrialSummary: Sendable {
    public var trial: TrialRecord
    public var epochs: [EpochRecord]

    public init(trial: TrialRecord, epochs: [EpochRecord]) { self.trial = trial; self.epochs = epochs }

    var last: EpochRecord? { epochs.max { $0.epoch < $1.epoch } }
    func best(_ value: (EpochRecord) -> Double?) -> Double? { epochs.compactMap(value).max() }
    /// The quality score of docs/science.md §6: min(RAW, Physical) PRD, where both exist.
    static func score(_ e: EpochRecord) -> Double? {
        guard let raw = e.rawPRD, let phys = e.physPRD else { return nil }
        return min(raw, phys)
    }

    /// Every trial of a sweep with its epochs, in number order (two reads).
    public static func all(_ store: any TrialStoreReader, sweepID: Int64) throws -> [TrialSummary] {
        let epochs = try store.epochs(sweepID: sweepID)
        return try store.trials(sweepID: sweepID).map { TrialSummary(trial: $0, epochs: epochs[$0.id] ?? []) }
    }
}

/// The columns `query` shows, filters and sorts by: the `trials` columns of the public schema
/// and per-trial summaries of `epochs`. Each knows its kind, which decides how a filter value
/// is read (numbers as numbers, words against their choices) and how rows sort.
public struct TrialColumn: Sendable {
    public enum Kind: Sendable, Equatable {
        case integer, number, text
        /// A word from a fixed list (states, regularizers, losses).
        case choice([String])
        /// 0 or 1 (SQLite's boolean); filters also take true/false.
        case boolean
    }
    public let name: String
    public let kind: Kind
    let cell: @Sendable (TrialSummary) -> TextTable.Cell

    public static let all: [TrialColumn] = {
        func int(_ name: String, _ f: @escaping @Sendable (TrialSummary) -> Int?) -> TrialColumn {
            TrialColumn(name: name, kind: .integer) { f($0).map(TextTable.Cell.int) ?? .null }
        }
        func num(_ name: String, _ f: @escaping @Sendable (TrialSummary) -> Double?) -> TrialColumn {
            TrialColumn(name: name, kind: .number) { f($0).map(TextTable.Cell.number) ?? .null }
        }
        func text(_ name: String, _ kind: Kind = .text, _ f: @escaping @Sendable (TrialSummary) -> String?) -> TrialColumn {
            TrialColumn(name: name, kind: kind) { f($0).map(TextTable.Cell.text) ?? .null }
        }
        return [
            int("id") { Int($0.trial.id) },
            int("number") { $0.trial.number },
            text("config_hash") { $0.trial.configHash },
            text("regularizer", .choice(RegularizerKind.allCases.map(\.rawValue))) { $0.trial.regularizer.rawValue },
            text("loss", .choice(AdversarialLoss.allCases.map(\.rawValue))) { $0.trial.loss.rawValue },
            text("arch", .choice(Architecture.allCases.map(\.rawValue))) { $0.trial.arch.rawValue },
            num("margin") { $0.trial.margin },
            num("alpha") { $0.trial.alpha },
            num("lambda") { $0.trial.lambda },
            num("lr") { $0.trial.lr },
            int("seed") { $0.trial.seed },
            text("state", .choice(TrialState.allCases.map(\.rawValue))) { $0.trial.state.rawValue },
            int("attempts") { $0.trial.attempts },
            text("error") { $0.trial.error },
            text("started_at") { $0.trial.startedAt },
            text("finished_at") { $0.trial.finishedAt },
            num("qg") { $0.trial.qg },
            num("qg_slope") { $0.trial.qgSlope },
            num("l_30") { $0.trial.l30 },
            num("two_over_l_30") { $0.trial.twoOverL30 },
            num("two_over_m") { $0.trial.twoOverM },
            TrialColumn(name: "lr_within_bound", kind: .boolean) { $0.trial.lrWithinBound.map { .int($0 ? 1 : 0) } ?? .null },
            int("epochs_done") { $0.epochs.count },
            num("last_phys_prd") { $0.last?.physPRD },
            num("last_raw_prd") { $0.last?.rawPRD },
            num("best_phys_prd") { $0.best(\.physPRD) },
            num("best_raw_prd") { $0.best(\.rawPRD) },
            num("best_prd") { $0.best(TrialSummary.score) },
            num("last_lipschitz") { $0.last?.lipschitzBound },
        ] + QualityMetric.allCases.filter(\.isDistance).flatMap { metric in
            // The physics distances of docs/science.md §6.1: the last epoch's and the lowest.
            [num("last_\(metric.rawValue)") { $0.last?.metric(metric) },
             num("best_\(metric.rawValue)") { s in s.epochs.compactMap { $0.metric(metric) }.min() }]
        } + [
            text("params_json") { $0.trial.paramsJSON },
            text("job_id") { $0.trial.jobID },
        ]
    }()

    private static let byName = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    /// The column, or a user error naming the option and the nearest column.
    public static func named(_ name: String, option: String) throws(QueryError) -> TrialColumn {
        guard let column = byName[name] else {
            let hint = didYouMean(name, among: all.map(\.name)).map { "did you mean `\($0)`?" }
                ?? "columns: \(all.map(\.name).joined(separator: ", "))"
            throw QueryError(message: "\(option) \(name): no such column; \(hint)")
        }
        return column
    }
}
