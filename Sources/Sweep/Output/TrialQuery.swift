import Foundation
import GRDB
import Tensor

/// `lipsweep query`: trials of one sweep, filtered, sorted, with chosen columns. Runs as a
/// WAL reader, so it works while the scheduler writes. Column names are checked against the
/// list below and values are bound as parameters (no SQL is spliced from the user).
public struct TrialQuery: Sendable {
    public struct Filter: Sendable, Equatable {
        public var column: String, op: String, value: String
    }

    /// `trials` columns plus per-trial summaries of `epochs`.
    public static let columns = [
        "id", "number", "config_hash", "regularizer", "loss", "margin", "alpha", "lambda", "lr", "seed", "state", "attempts",
        "error", "started_at", "finished_at", "qg", "qg_slope", "l_30", "two_over_l_30", "two_over_m", "lr_within_bound",
        "epochs_done", "last_phys_prd", "last_raw_prd", "best_phys_prd", "best_raw_prd", "best_prd", "last_lipschitz", "params_json", "job_id",
    ]
    public static let defaultColumns = ["number", "regularizer", "margin", "alpha", "lr", "seed", "state", "epochs_done",
                                        "last_phys_prd", "qg", "qg_slope", "l_30", "lr_within_bound"]

    public var columns = TrialQuery.defaultColumns
    public var filters: [Filter] = []
    /// Column names; a leading `-` sorts descending.
    public var sort: [String] = ["number"]
    public var limit: Int?

    public init() {}

    /// Parses `column OP value` with OP one of = != < <= > >= (e.g. `qg>0`, `regularizer=sn`).
    public static func parseFilter(_ text: String) throws -> Filter {
        for op in ["!=", "<=", ">=", "=", "<", ">"] {
            if let range = text.range(of: op) {
                let column = text[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
                let value = text[range.upperBound...].trimmingCharacters(in: .whitespaces)
                try checkColumn(column, option: "--where")
                guard !value.isEmpty else { throw InvalidInput("--where \(text): no value after \(op); e.g. --where 'qg>0'") }
                return Filter(column: column, op: op, value: value)
            }
        }
        throw InvalidInput("--where \(text): expected COLUMN OP VALUE with OP one of = != < <= > >=; e.g. --where 'lr<=0.001'")
    }

    static func checkColumn(_ name: String, option: String) throws {
        guard columns.contains(name) else {
            let hint = didYouMean(name, among: columns).map { "did you mean `\($0)`?" } ?? "columns: \(columns.joined(separator: ", "))"
            throw InvalidInput("\(option) \(name): no such column; \(hint)")
        }
    }

    /// The per-trial SQL every query and export starts from (public schema only).
    static let trialSummarySQL = """
        SELECT t.*,
          (SELECT count(*) FROM epochs e WHERE e.trial_id = t.id) AS epochs_done,
          (SELECT phys_prd FROM epochs e WHERE e.trial_id = t.id ORDER BY epoch DESC LIMIT 1) AS last_phys_prd,
          (SELECT raw_prd FROM epochs e WHERE e.trial_id = t.id ORDER BY epoch DESC LIMIT 1) AS last_raw_prd,
          (SELECT max(phys_prd) FROM epochs e WHERE e.trial_id = t.id) AS best_phys_prd,
          (SELECT max(raw_prd) FROM epochs e WHERE e.trial_id = t.id) AS best_raw_prd,
          (SELECT max(min(raw_prd, phys_prd)) FROM epochs e WHERE e.trial_id = t.id) AS best_prd,
          (SELECT lipschitz_bound FROM epochs e WHERE e.trial_id = t.id ORDER BY epoch DESC LIMIT 1) AS last_lipschitz
        FROM trials t WHERE t.sweep_id = ?
        """

    public func run(store: SQLiteTrialStore, sweepID: Int64) throws -> TextTable {
        for c in columns { try Self.checkColumn(c, option: "--columns") }
        for s in sort { try Self.checkColumn(s.hasPrefix("-") ? String(s.dropFirst()) : s, option: "--sort") }
        var sql = "SELECT \(columns.map { "\"\($0)\"" }.joined(separator: ", ")) FROM (\(Self.trialSummarySQL))"
        var arguments: [DatabaseValueConvertible?] = [sweepID]
        if !filters.isEmpty {
            sql += " WHERE " + filters.map { "\"\($0.column)\" \($0.op) ?" }.joined(separator: " AND ")
            // Numbers compare as numbers, words as text.
            arguments += filters.map { f in Double(f.value).map { $0 as DatabaseValueConvertible } ?? f.value }
        }
        if !sort.isEmpty {
            sql += " ORDER BY " + sort.map { $0.hasPrefix("-") ? "\"\($0.dropFirst())\" DESC" : "\"\($0)\" ASC" }.joined(separator: ", ")
        }
        if let limit { sql += " LIMIT \(max(0, limit))" }
        let rows = try store.read { db in try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)) }
        return TextTable(columns: columns, rows: rows.map { row in columns.indices.map { cell(row[$0]) } })
    }
}

/// A database value as a table cell (integers stay integers, REAL stays a number).
func cell(_ value: DatabaseValue) -> TextTable.Cell {
    switch value.storage {
    case .null: return .null
    case let .int64(i): return .int(Int(i))
    case let .double(d): return .number(d)
    case let .string(s): return .text(s)
    case let .blob(b): return .text(b.base64EncodedString())
    }
}
