import ArgumentParser
import Foundation
import Sweep
import UserErrors

/// `lipsweep report`: one self-contained HTML file that opens in a browser with no network.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Write a self-contained HTML report (plots and tables) of a sweep.")

    @OptionGroup var results: ResultsOption
    @Option(help: "The sweep (default: the most recent).") var sweep: String?
    @Option(help: ArgumentHelp("Trial numbers for the PRD-per-epoch plot, comma-separated (default: the best trial of each regularizer).", valueName: "N,N"))
    var trials: String?
    @Option(help: ArgumentHelp("Write one of the report's figures as a standalone SVG file instead of the HTML page: qg-<regularizer> (QG against learning rate), boundary (a boundary search's Figs. 4–5), prd-vs-l, prd-per-epoch. A wrong name lists the sweep's figures.", valueName: "NAME"))
    var figure: String?
    @Option(help: ArgumentHelp("Output file (default: RESULTS/report.html, or RESULTS/report-<sweep>.html with --sweep; with --figure, RESULTS/<name>.svg or RESULTS/<name>-<sweep>.svg).", valueName: "FILE"))
    var output: String?

    func run() throws {
        let (dir, store, s) = try results.open(sweep: sweep)
        let chosen = try trials.map { list in
            try list.split(separator: ",").map { item -> Int in
                guard let n = Int(item.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("--trials \(list): expected trial numbers such as 0,3,7")
                }
                return n
            }
        }
        func destination(_ name: String, _ suffix: String) -> URL {
            output.map { URL(fileURLWithPath: $0) }
                ?? dir.url.appendingPathComponent(sweep == nil ? "\(name).\(suffix)" : "\(name)-\(s.name).\(suffix)")
        }
        if let figure {
            let figures = try HTMLReport.figures(store: store, sweep: s, chosenTrials: chosen)
            guard let svg = figures.first(where: { $0.name == figure })?.svg else {
                throw InvalidInput("--figure \(figure): sweep \"\(s.name)\" has no such figure; "
                    + (figures.isEmpty ? "it has none yet (no finished trial)" : "it has \(figures.map(\.name).joined(separator: ", "))"))
            }
            try ResultsOption.write(svg, to: destination(figure, "svg"))
        } else {
            try ResultsOption.write(try HTMLReport.render(store: store, sweep: s, chosenTrials: chosen), to: destination("report", "html"))
        }
    }
}
