import ArgumentParser
import Foundation
import Sweep

extension TextTable.Format: ExpressibleByArgument {}

/// `lipsweep query`: the trials table, filtered and sorted; safe while a sweep runs.
struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query", abstract: "List trials with chosen columns, filters and sort order.",
        discussion: "Columns: \(TrialQuery.columns.joined(separator: ", ")).")

    @OptionGroup var results: ResultsOption
    @Option(help: "The sweep (default: the most recent).") var sweep: String?
    @Option(name: .customLong("where"), help: ArgumentHelp("A filter COLUMN OP VALUE, OP one of = != < <= > >= (repeatable; all must hold). VALUE is a number for numeric columns, one of the states, regularizers or losses for those, true/false for lr_within_bound.", valueName: "FILTER"))
    var filters: [String] = []
    @Option(help: ArgumentHelp("Sort by these columns, comma-separated; -COLUMN sorts descending (write --sort=-qg).", valueName: "COLUMNS"))
    var sort: String = "number"
    @Option(help: ArgumentHelp("Columns to show, comma-separated.", valueName: "COLUMNS"))
    var columns: String = TrialQuery.defaultColumns.joined(separator: ",")
    @Option(help: "At most this many rows.") var limit: Int?
    @Option(help: "table, csv or json.") var format: TextTable.Format = .table

    func run() throws {
        let (_, store, s) = try results.open(sweep: sweep)
        var query = TrialQuery()
        query.columns = columns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        query.sort = sort.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        query.filters = try filters.map { (text) throws(QueryError) in try TrialQuery.parseFilter(text) }
        query.limit = limit
        print(try query.run(store: store, sweepID: s.id).render(format), terminator: "")
    }
}
