import ArgumentParser
import Foundation
import Sweep

/// `lipsweep report`: one self-contained HTML file that opens in a browser with no network.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Write a self-contained HTML report (plots and tables) of a sweep.")

    @OptionGroup var results: ResultsOption
    @Option(help: "The sweep (default: the most recent).") var sweep: String?
    @Option(help: ArgumentHelp("Trial numbers for the PRD-per-epoch plot, comma-separated (default: the best trial of each regularizer).", valueName: "N,N"))
    var trials: String?
    @Option(help: ArgumentHelp("Output file (default: RESULTS/report.html, or RESULTS/report-<sweep>.html with --sweep).", valueName: "FILE"))
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
        let html = try HTMLReport.render(store: store, sweep: s, chosenTrials: chosen)
        let url = output.map { URL(fileURLWithPath: $0) }
            ?? dir.url.appendingPathComponent(sweep == nil ? "report.html" : "report-\(s.name).html")
        try ResultsOption.write(html, to: url)
    }
}
