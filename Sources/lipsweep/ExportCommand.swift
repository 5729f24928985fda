import ArgumentParser
import Foundation
import Sweep
import TrialProtocol
import UserErrors

extension QualityMetric: ExpressibleByArgument {}

/// What `lipsweep export` writes: one of the tables, a search kind's table (`boundary`), or
/// the sweep as an Optuna journal.
struct ExportKind: ExpressibleByArgument, Equatable {
    let rawValue: String

    init?(argument: String) {
        guard Self.allValueStrings.contains(argument) else { return nil }
        rawValue = argument
    }

    static let optuna = ExportKind(argument: "optuna")!
    static let qg = ExportKind(argument: "qg")!
    static var allValueStrings: [String] { Export.allCases.map(\.rawValue) + SearchKinds.exports.map(\.kind) + ["optuna"] }

    var table: Export? { Export(rawValue: rawValue) }
    var isSearch: Bool { SearchKinds.exports.contains { $0.kind == rawValue } }
}

/// `lipsweep export qg|epochs|prd-vs-l|boundary|optuna`: CSV (or JSON/table) files for
/// plotting elsewhere, or an Optuna journal for optuna-dashboard.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export QG per grid point, epochs in long format, best PRD against Lipschitz, a search's table (a boundary search's brackets), or an Optuna journal.",
        discussion: """
            qg: one row per regularizer × arch × loss × margin × alpha × lambda × lr over seeds (the QG \
            metric, trials, QG mean and sample sd, mean L_30, 2/L_30, 2/m, fraction within the bound, \
            fraction diverged); --metric recomputes QG from the stored epochs on another series \
            (phys_prd, raw_prd, fpd, kpd, kid, w1_mean; a distance's QG is its mean per-epoch decrease). \
            epochs: one row per trial × epoch. prd-vs-l: one row per trial, its best min(RAW, Physical) \
            PRD and the Lipschitz bound at that epoch, and its lowest FPD and KPD with the bound at theirs. \
            \(SearchKinds.exports.map { "\($0.kind) (a sweep with `search: {kind: \($0.kind)}`): \($0.help)." }.joined(separator: " ")) \
            optuna: the sweep as an Optuna journal file \
            (one study, one Optuna trial per trial, per-epoch learning curves) for `optuna-dashboard FILE` \
            or `optuna.load_study`.
            """)

    @Argument(help: ArgumentHelp("\(ExportKind.allValueStrings.joined(separator: ", ")).", valueName: "kind")) var kind: ExportKind
    @OptionGroup var results: ResultsOption
    @Option(help: "The sweep (default: the most recent).") var sweep: String?
    @Option(help: "csv, json or table (default: csv; not for optuna).") var format: TextTable.Format?
    @Option(help: ArgumentHelp("optuna only: the study's objective, \(OptunaObjective.all.map(\.name).joined(separator: ", ")) (default: qg).",
                               valueName: "NAME"))
    var objective: String?
    @Option(help: ArgumentHelp("qg only: recompute QG on this series: \(QualityMetric.allCases.map(\.rawValue).joined(separator: ", ")) (default: each trial's qg.metric).",
                               valueName: "METRIC"))
    var metric: QualityMetric?
    @Option(help: ArgumentHelp("Output file; - for standard output (default: RESULTS/exports/<sweep>-<kind>.<format>, or <sweep>-optuna.log).",
                               valueName: "FILE"))
    var output: String?

    func run() throws {
        if kind == .optuna, format != nil {
            throw InvalidInput("--format: an Optuna journal has one format; leave --format out for `export optuna`")
        }
        if kind != .qg, metric != nil {
            throw InvalidInput("--metric applies to `export qg` only; leave it out for `export \(kind.rawValue)`")
        }
        if kind != .optuna, objective != nil {
            throw InvalidInput("--objective applies to `export optuna` only; leave it out for `export \(kind.rawValue)`")
        }
        let (dir, store, s) = try results.open(sweep: sweep)
        let exports = dir.url.appendingPathComponent("exports")
        let format = format ?? .csv
        let text: String
        if let table = kind.table {
            text = try table.table(store: store, sweepID: s.id, metric: metric).render(format)
        } else if kind.isSearch {
            text = try searchExport(kind: kind.rawValue, store: store, sweep: s).render(format)
        } else {
            let chosen = try Self.parseObjective(objective ?? "qg")
            let url = output == "-" ? nil : output.map { URL(fileURLWithPath: $0) } ?? exports.appendingPathComponent("\(s.name)-optuna.log")
            try exportJournal(to: url, sweep: s, objective: chosen, store: store)
            return
        }
        if output == "-" { print(text, terminator: ""); return }
        let ext = format == .table ? "txt" : format.rawValue
        let name = metric.map { "\(kind.rawValue)-\($0.rawValue)" } ?? kind.rawValue
        try ResultsOption.write(text, to: output.map { URL(fileURLWithPath: $0) } ?? exports.appendingPathComponent("\(s.name)-\(name).\(ext)"))
    }

    static func parseObjective(_ name: String) throws -> OptunaObjective {
        guard let objective = OptunaObjective.named(name) else {
            throw InvalidInput("--objective \(name): not an objective; use one of \(OptunaObjective.all.map(\.name).joined(separator: ", "))")
        }
        return objective
    }

    /// Writes the journal to `url` and prints its path, or to standard output when nil.
    private func exportJournal(to url: URL?, sweep: SweepRecord, objective: OptunaObjective, store: any TrialStoreReader) throws {
        if let url {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try OptunaSweepJournal.export(to: url, sweep: sweep, objective: objective, store: store)
            print(url.path)
            return
        }
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("lipsweep-optuna-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: temporary) }
        try OptunaSweepJournal.export(to: temporary, sweep: sweep, objective: objective, store: store)
        FileHandle.standardOutput.write(try Data(contentsOf: temporary))
    }
}
