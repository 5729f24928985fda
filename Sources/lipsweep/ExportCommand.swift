import ArgumentParser
import Foundation
import Sweep

extension Export: ExpressibleByArgument {}

/// `lipsweep export qg|epochs|prd-vs-l|boundary`: CSV (or JSON/table) files for plotting elsewhere.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export QG per grid point, epochs in long format, best PRD against Lipschitz, or a boundary search's brackets.",
        discussion: """
            qg: one row per regularizer × margin × alpha × lambda × lr over seeds (trials, QG mean and \
            sample sd, mean L_30, 2/L_30, 2/m, fraction within the bound, fraction diverged). \
            epochs: one row per trial × epoch. prd-vs-l: one row per trial, its best min(RAW, Physical) \
            PRD and the Lipschitz bound at that epoch. boundary (a sweep with `search: {kind: boundary}`): \
            one row per combination of the other axes, its bracket lr_lo..lr_hi (empty when there is no \
            crossing), the trials it took, mean L_30 and 2/L_30 of the bracket's trials, 2/m.
            """)

    @Argument(help: "qg, epochs, prd-vs-l or boundary.") var kind: Export
    @OptionGroup var results: ResultsOption
    @Option(help: "The sweep (default: the most recent).") var sweep: String?
    @Option(help: "csv, json or table.") var format: TextTable.Format = .csv
    @Option(help: ArgumentHelp("Output file; - for standard output (default: RESULTS/exports/<sweep>-<kind>.<format>).", valueName: "FILE"))
    var output: String?

    func run() throws {
        let (dir, store, s) = try results.open(sweep: sweep)
        let text = try kind.table(store: store, sweepID: s.id).render(format)
        if output == "-" { print(text, terminator: ""); return }
        let ext = format == .table ? "txt" : format.rawValue
        let url = output.map { URL(fileURLWithPath: $0) }
            ?? dir.url.appendingPathComponent("exports").appendingPathComponent("\(s.name)-\(kind.rawValue).\(ext)")
        try ResultsOption.write(text, to: url)
    }
}
