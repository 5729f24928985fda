import JSONText
import Foundation

/// Rows of cells rendered as an aligned text table, CSV (RFC 4180 quoting) or JSON (an
/// array of objects; numbers stay numbers, empty cells become null).
public struct TextTable: Sendable {
    public enum Cell: Sendable, Equatable {
        case text(String), int(Int), number(Double), null

        public var display: String {
            switch self {
            case let .text(s): return s
            case let .int(i): return String(i)
            case let .number(x): return formatNumber(x)
            case .null: return ""
            }
        }
    }

    public var columns: [String]
    public var rows: [[Cell]]

    public init(columns: [String], rows: [[Cell]] = []) { self.columns = columns; self.rows = rows }

    public enum Format: String, CaseIterable, Sendable { case table, csv, json }

    public func render(_ format: Format) -> String {
        switch format {
        case .table: return aligned()
        case .csv: return csv()
        case .json: return json()
        }
    }

    func aligned() -> String {
        let cells = [columns] + rows.map { $0.map(\.display) }
        let widths = columns.indices.map { c in cells.map { $0[c].count }.max() ?? 0 }
        return cells.map { row in
            row.enumerated().map { c, s in s.padding(toLength: widths[c], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }.joined(separator: "\n") + "\n"
    }

    func csv() -> String {
        func quote(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        // CSV keeps full precision: a user re-plotting must get the stored numbers back.
        let body = rows.map { row in
            row.map { cell -> String in
                if case let .number(x) = cell { return quote(String(x)) }
                return quote(cell.display)
            }.joined(separator: ",")
        }
        return ([columns.map(quote).joined(separator: ",")] + body).joined(separator: "\n") + "\n"
    }

    /// Written by hand: Foundation's JSONSerialization on Linux rounds doubles to 15–16
    /// digits, and an export must give back the stored numbers exactly (Swift's description
    /// of a Double is the shortest string that round-trips).
    func json() -> String {
        func quoted(_ s: String) -> String { JSONText.string(s) }
        func value(_ cell: Cell) -> String {
            switch cell {
            case let .text(s): return quoted(s)
            case let .int(i): return String(i)
            case let .number(x): return JSONText.number(x)
            case .null: return "null"
            }
        }
        let order = columns.indices.sorted { columns[$0] < columns[$1] }
        let objects = rows.map { row in
            "  {" + order.map { "\(quoted(columns[$0])): \(value(row[$0]))" }.joined(separator: ", ") + "}"
        }
        return "[\n" + objects.joined(separator: ",\n") + (objects.isEmpty ? "]\n" : "\n]\n")
    }
}

/// Short human form: 4 significant digits, exponent form for very small or large values.
public func formatNumber(_ x: Double) -> String {
    if !x.isFinite { return "\(x)" }
    if x == x.rounded(), abs(x) < 1e6 { return String(Int(x)) }
    return String(format: "%.4g", x)
}
