import Foundation
import TrialProtocol
import UserErrors

/// A mistake in `query`'s options: the CLI prints it and exits with code 2.
public struct QueryError: UserInputError, Equatable {
    public var message: String
    public var description: String { message }
}

/// `lipsweep query`: trials of one sweep, filtered, sorted, with chosen columns, read through
/// the store's read side (so any backend serves it, and it works while the scheduler writes).
public struct TrialQuery: Sendable {
    /// `COLUMN OP VALUE`, checked against the column's kind when parsed.
    public struct Filter: Sendable, Equatable {
        public enum Op: String, CaseIterable, Sendable { case eq = "=", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">=" }
        public var column: String
        public var op: Op
        public var value: TextTable.Cell

        func holds(_ cell: TextTable.Cell) -> Bool {
            // As in SQL: NULL compares to nothing.
            guard let order = TrialQuery.compare(cell, value) else { return false }
            switch op {
            case .eq: return order == 0
            case .ne: return order != 0
            case .lt: return order < 0
            case .le: return order <= 0
            case .gt: return order > 0
            case .ge: return order >= 0
            }
        }
    }

    public static var columns: [String] { TrialColumn.all.map(\.name) }
    public static let defaultColumns = ["number", "regularizer", "margin", "alpha", "lr", "seed", "state", "epochs_done",
                                        "last_phys_prd", "qg", "qg_slope", "l_30", "lr_within_bound"]

    public var columns = TrialQuery.defaultColumns
    public var filters: [Filter] = []
    /// Column names; a leading `-` sorts descending.
    public var sort: [String] = ["number"]
    public var limit: Int?

    public init() {}

    /// Parses `COLUMN OP VALUE` strictly: the column must exist, OP is exactly one of
    /// = != < <= > >=, and VALUE must be of the column's kind (a number for a numeric column,
    /// one of the choices for state/regularizer/loss, true/false for lr_within_bound).
    /// Anything else is an error naming the filter, never a query that silently matches nothing.
    public static func parseFilter(_ text: String) throws(QueryError) -> Filter {
        func fail(_ why: String) -> QueryError {
            QueryError(message: "--where \(text): \(why); write COLUMN OP VALUE with OP one of = != < <= > >=, e.g. --where 'lr<=0.001'")
        }
        let operatorCharacters = Set("=!<>")
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let opStart = trimmed.firstIndex(where: { operatorCharacters.contains($0) }) else { throw fail("no operator") }
        let name = trimmed[..<opStart].trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw fail("no column before the operator") }
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { throw fail("`\(name)` is not a column name") }
        let opEnd = trimmed[opStart...].firstIndex { !operatorCharacters.contains($0) } ?? trimmed.endIndex
        let opText = String(trimmed[opStart..<opEnd])
        guard let op = Filter.Op(rawValue: opText) else { throw fail("`\(opText)` is not an operator") }
        let raw = trimmed[opEnd...].trimmingCharacters(in: .whitespaces)
        guard !raw.isEmpty else { throw fail("no value after \(opText)") }
        let column = try TrialColumn.named(name, option: "--where")
        let value: TextTable.Cell
        switch column.kind {
        case .integer, .number:
            guard let x = Double(raw), x.isFinite else { throw fail("`\(raw)` is not a number, and \(name) is numeric") }
            value = .number(x)
        case let .choice(choices):
            guard choices.contains(raw) else {
                let hint = didYouMean(raw, among: choices).map { "did you mean `\($0)`? " } ?? ""
                throw fail("\(hint)\(name) is one of \(choices.joined(separator: ", ")), not `\(raw)`")
            }
            value = .text(raw)
        case .boolean:
            switch raw.lowercased() {
            case "1", "true": value = .int(1)
            case "0", "false": value = .int(0)
            default: throw fail("\(name) is true or false (1 or 0), not `\(raw)`")
            }
        case .text:
            value = .text(raw)
        }
        return Filter(column: name, op: op, value: value)
    }

    public func run(store: any TrialStoreReader, sweepID: Int64) throws -> TextTable {
        let shown = try columns.map { (name) throws(QueryError) in try TrialColumn.named(name, option: "--columns") }
        let sortKeys = try sort.map { (key) throws(QueryError) -> (TrialColumn, Bool) in
            let descending = key.hasPrefix("-")
            return (try TrialColumn.named(descending ? String(key.dropFirst()) : key, option: "--sort"), descending)
        }
        let filterColumns = try filters.map { (f) throws(QueryError) in try TrialColumn.named(f.column, option: "--where") }
        var rows = try TrialSummary.all(store, sweepID: sweepID).filter { summary in
            zip(filters, filterColumns).allSatisfy { filter, column in filter.holds(column.cell(summary)) }
        }
        rows.sort { a, b in
            for (column, descending) in sortKeys {
                let order = Self.sortOrder(column.cell(a), column.cell(b))
                if order != 0 { return descending ? order > 0 : order < 0 }
            }
            return false
        }
        if let limit { rows = Array(rows.prefix(max(0, limit))) }
        return TextTable(columns: columns, rows: rows.map { row in shown.map { $0.cell(row) } })
    }

    /// −1, 0, 1 as SQL compares two non-null values (numbers by value, text by its bytes); nil
    /// when either is NULL.
    static func compare(_ a: TextTable.Cell, _ b: TextTable.Cell) -> Int? {
        switch (a.numeric, b.numeric) {
        case let (x?, y?): return x < y ? -1 : x > y ? 1 : 0
        default:
            guard case let .text(s) = a, case let .text(t) = b else { return nil }
            return s < t ? -1 : s > t ? 1 : 0
        }
    }

    /// As `compare`, with NULL before everything (SQLite's ascending order).
    static func sortOrder(_ a: TextTable.Cell, _ b: TextTable.Cell) -> Int {
        switch (a, b) {
        case (.null, .null): return 0
        case (.null, _): return -1
        case (_, .null): return 1
        default: return compare(a, b) ?? 0
        }
    }
}

extension TextTable.Cell {
    /// The cell as a number, for comparisons.
    var numeric: Double? {
        switch self {
        case let .int(i): Double(i)
        case let .number(x): x
        default: nil
        }
    }
}
