import Foundation
import TrialProtocol
import UserErrors

/// `lipsweep report`: one self-contained HTML file (inline CSS and SVG, no script, nothing
/// fetched) with QG against learning rate, best PRD against Lipschitz bound, PRD per epoch of
/// chosen trials, and the results tables.
public enum HTMLReport {
    /// - Parameter chosenTrials: trial numbers for the PRD-per-epoch plot; nil picks the trial
    ///   with the best PRD of each regularizer.
    public static func render(store: any TrialStoreReader, sweep: SweepRecord, chosenTrials: [Int]? = nil) throws -> String {
        let (trials, qg, search, prdVsL) = try inputs(store: store, sweep: sweep)
        var counts: [TrialState: Int] = [:]
        for t in trials { counts[t.state, default: 0] += 1 }

        var body = "<h1>Sweep “\(escape(sweep.name))”</h1>\n"
        body += "<p class=\"meta\">created \(escape(sweep.createdAt)) · lipsweep \(escape(sweep.codeVersion)) · \(trials.count) trials: "
        body += TrialState.allCases.compactMap { s in counts[s].map { "\($0) \(s.rawValue)" } }.joined(separator: ", ") + "</p>\n"

        body += "<h2>Quality gain against learning rate</h2>\n<p>QG per learning rate, the mean over seeds with its two-sided 95 % Student-t interval as error bars (mean ± t<sub>0.975, n−1</sub>·sd/√n; no bar with one seed: one seed measures no spread), one curve per parameter setting; QG is the sweep's estimator (`qg.estimator`: endpoints, paper eq. 11, or the least-squares slope). Two points differ beyond seed noise only where their bars do not overlap. The dotted line of the same colour is that curve's 2/L₃₀ bound, L₃₀ averaged over the curve's points (convergence requires lr ≤ 2/L).</p>\n"
        if let note = search.qgNote { body += note }
        body += "<div class=\"plots\">\n" + qgPlots(qg, bands: qgBands(search, qg)).joined() + "</div>\n"
        for section in search.sections {
            body += "<h2>\(escape(section.title))</h2>\n\(section.intro)" + htmlTable(section.table)
        }
        if let pruning = try sweep.pruningSettings() {
            let decisions = try store.rungDecisions(sweepID: sweep.id)
            var table = TextTable(columns: ["rung", "reached", "went_on", "pruned"])
            for rung in pruning.rungs {
                let here = decisions.filter { $0.rung == rung }
                guard !here.isEmpty else { continue }
                let pruned = here.filter { $0.verdict == .prune }.count
                table.rows.append([.int(rung), .int(here.count), .int(here.count - pruned), .int(pruned)])
            }
            body += "<h2>Successive halving</h2>\n<p>At each rung a trial went on when it was among the best \(formatNumber(pruning.keep * 100)) % (by \(pruning.metric)) of the trials that had reached the rung; the others were pruned, keeping their epochs and QG. No trial was decided at a rung before \(pruning.minTrials) trial(s) had reached it (or none could any more): earlier arrivals waited there. Trials started in config-hash order, not regularizer-outermost.</p>\n"
            body += htmlTable(table)
        }

        body += "<h2>Best PRD against Lipschitz bound</h2>\n<p>Each trial's best min(RAW, Physical) PRD and the Lipschitz bound at that epoch.</p>\n"
        body += "<div class=\"plots\">\n" + prdVsLPlot(prdVsL) + "</div>\n"

        let chosen = chosenTrials ?? bestTrialPerRegularizer(prdVsL)
        body += "<h2>PRD per epoch</h2>\n<p>Physical PRD (solid) and RAW PRD (dashed) of trials \(chosen.map { "#\($0)" }.joined(separator: ", ")).</p>\n"
        body += "<div class=\"plots\">\n" + (try epochPlot(store: store, trials: trials, numbers: chosen)) + "</div>\n"

        body += try distanceQGSection(store: store, sweepID: sweep.id, trials: trials)
        body += try appendixCSection(store: store, trials: trials, numbers: chosen)

        body += "<h2>QG per grid point</h2>\n" + htmlTable(qg)
        var query = TrialQuery()
        query.columns = ["number", "regularizer", "margin", "alpha", "lambda", "lr", "seed", "state", "epochs_done", "best_prd", "last_fpd", "last_kpd", "last_kid", "qg", "qg_slope", "l_30", "two_over_l_30", "lr_within_bound", "error"]
        body += "<h2>Trials</h2>\n" + htmlTable(try query.run(store: store, sweepID: sweep.id))
        body += "<h2>Spec</h2>\n<pre>\(escape(sweep.specText))</pre>\n"
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>lipsweep: \(escape(sweep.name))</title>
            <style>
            body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }
            .meta { color: #666; } .plots { display: flex; flex-wrap: wrap; gap: 12px; }
            svg { background: #fff; border: 1px solid #ddd; } \(SVGPlot.css)
            table { border-collapse: collapse; margin: 8px 0 24px; font-size: 12px; }
            th, td { border: 1px solid #ddd; padding: 2px 6px; text-align: right; } th { background: #f4f4f4; }
            pre { background: #f8f8f8; padding: 8px; }
            </style></head><body>
            \(body)</body></html>

            """
    }

    /// The report's figures, each a standalone SVG document, by name (`lipsweep report --figure`):
    /// `qg-<regularizer>` (QG against learning rate), the search's own (a boundary search's
    /// `boundary`, the paper's Figs. 4–5), `prd-vs-l` and `prd-per-epoch` — the report's own
    /// plots, drawn by the same functions. Only those with something to draw are listed.
    public static func figures(store: any TrialStoreReader, sweep: SweepRecord,
                               chosenTrials: [Int]? = nil) throws -> [(name: String, svg: String)] {
        let (trials, qg, search, prdVsL) = try inputs(store: store, sweep: sweep)
        var figures = qgFigures(qg, bands: qgBands(search, qg)).map { (name: "qg-\($0.regularizer)", svg: $0.svg) }
        figures += search.figures
        if let plot = prdVsLFigure(prdVsL) { figures.append(("prd-vs-l", plot)) }
        let chosen = chosenTrials ?? bestTrialPerRegularizer(prdVsL)
        if let plot = try epochFigure(store: store, trials: trials, numbers: chosen) { figures.append(("prd-per-epoch", plot)) }
        return figures.map { ($0.name, SVGPlot.standalone($0.svg)) }
    }

    /// What every part of the report reads: the trials, the QG table, the search's report, PRD against L.
    private static func inputs(store: any TrialStoreReader, sweep: SweepRecord) throws
        -> (trials: [TrialRecord], qg: TextTable, search: SearchReport, prdVsL: TextTable) {
        let trials = try store.trials(sweepID: sweep.id)
        return (trials, qgTable(trials), try sweep.search().report(trials), try Export.prdVsL.table(store: store, sweepID: sweep.id))
    }

    /// The search's spans of learning rate, each on the QG curve of its combination.
    private static func qgBands(_ search: SearchReport, _ qg: TextTable) -> [QGBand] {
        search.bands.map { b in
            QGBand(regularizer: b.template.training.regularizer.rawValue, curve: curveKey(b.template, varying: varying(qg)), lo: b.lo, hi: b.hi,
                   label: b.label)
        }
    }

    /// A search's span (a boundary search's bracket) drawn on the QG plot of its regularizer, in the colour of its curve.
    struct QGBand { var regularizer: String; var curve: String; var lo: Double; var hi: Double; var label: String }

    /// One plot per regularizer; curves keyed by (margin, α, λ) (`curveKey`).
    static func qgPlots(_ qg: TextTable, bands: [QGBand] = [], metric: QualityMetric? = nil) -> [String] {
        let plots = qgFigures(qg, bands: bands, metric: metric).map(\.svg)
        return plots.isEmpty ? ["<p>No finished trial yet.</p>\n"] : plots
    }

    /// One QG-against-lr plot (SVG) per regularizer, named by the regularizer.
    static func qgFigures(_ qg: TextTable, bands: [QGBand] = [], metric: QualityMetric? = nil) -> [(regularizer: String, svg: String)] {
        let col = Dictionary(uniqueKeysWithValues: qg.columns.enumerated().map { ($1, $0) })
        func num(_ row: [TextTable.Cell], _ name: String) -> Double? {
            switch row[col[name]!] { case let .number(x): return x; case let .int(i): return Double(i); default: return nil }
        }
        var plots: [(regularizer: String, svg: String)] = []
        let shown = varying(qg)
        func word(_ row: [TextTable.Cell], _ name: String) -> String? {
            if let c = col[name], case let .text(s) = row[c] { s } else { nil }
        }
        let regularizers = qg.rows.compactMap { if case let .text(s) = $0[col["regularizer"]!] { return s } else { return nil } }
        let distinct = regularizers.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        for reg in distinct {
            let rows = qg.rows.filter { $0[col["regularizer"]!] == .text(reg) }
            var curves: [String: [[TextTable.Cell]]] = [:], order: [String] = []
            for row in rows {
                let key = curveKey(regularizer: reg, arch: shown.arch ? word(row, "arch") : nil, loss: shown.loss ? word(row, "loss") : nil,
                                   margin: num(row, "margin"), alpha: num(row, "alpha"), lambda: num(row, "lambda"))
                if curves[key] == nil { order.append(key) }
                curves[key, default: []].append(row)
            }
            let on = metric.map { " on \($0.rawValue)" } ?? ""
            // The estimator's columns: `qg_*` (endpoints) or `qg_slope_*` (slope).
            let slope = rows.contains { word($0, "qg_estimator") == QGEstimator.slope.rawValue }
            let (meanColumn, highColumn) = slope ? ("qg_slope_mean", "qg_slope_ci_high") : ("qg_mean", "qg_ci_high")
            let name = "QG\(slope ? " (slope)" : "")\(on)"
            var plot = SVGPlot(title: "\(name) vs learning rate: \(reg)", xLabel: "learning rate γ (log)", yLabel: name, logX: true)
            plot.errorBarLegend = "95 % t-interval (seeds)"
            for (i, key) in order.enumerated() {
                let color = SVGPlot.palette[i % SVGPlot.palette.count]
                let points = curves[key]!.compactMap { row -> (x: Double, y: Double, err: Double?)? in
                    guard let lr = num(row, "lr"), let q = num(row, meanColumn) else { return nil }
                    // The t-interval is symmetric about the mean: the bar's half-length is high − mean.
                    return (lr, q, num(row, highColumn).map { $0 - q })
                }
                plot.series.append(.init(label: key, points: points, color: color))
                let ls = curves[key]!.compactMap { num($0, "l_30_mean") }
                if !ls.isEmpty {
                    let bound = 2 / (ls.reduce(0, +) / Double(ls.count))
                    plot.verticals.append(.init(x: bound, color: color, label: "\(key): 2/L₃₀ = \(formatNumber(bound))"))
                }
                for band in bands where band.regularizer == reg && band.curve == key {
                    plot.bands.append(.init(x0: band.lo, x1: band.hi, color: color, label: band.label))
                }
            }
            plots.append((reg, plot.render()))
        }
        return plots
    }

    /// "m=4 α=1", or the regularizer's name when it has no parameter: one QG curve.
    /// Whether the QG table's rows differ in model family and loss (then each curve says which).
    static func varying(_ qg: TextTable) -> (arch: Bool, loss: Bool) {
        func distinct(_ name: String) -> Int {
            guard let c = qg.columns.firstIndex(of: name) else { return 0 }
            return Set(qg.rows.map { $0[c].display }).count
        }
        return (distinct("arch") > 1, distinct("loss") > 1)
    }

    static func curveKey(regularizer: String, arch: String? = nil, loss: String? = nil, margin: Double?, alpha: Double?,
                         lambda: Double?) -> String {
        var parts: [String] = []
        if let arch { parts.append(arch) }
        if let loss { parts.append(loss) }
        if let m = margin { parts.append("m=\(formatNumber(m))") }
        if let a = alpha { parts.append("α=\(formatNumber(a))") }
        if let l = lambda { parts.append("λ=\(formatNumber(l))") }
        return parts.isEmpty ? regularizer : parts.joined(separator: " ")
    }

    static func curveKey(_ c: TrialConfig, varying: (arch: Bool, loss: Bool)) -> String {
        let t = c.training
        return curveKey(regularizer: t.regularizer.rawValue, arch: varying.arch ? c.model.architecture.rawValue : nil,
                        loss: varying.loss ? t.loss.rawValue : nil, margin: t.margin, alpha: t.alpha, lambda: t.lambda)
    }

    static func prdVsLPlot(_ table: TextTable) -> String { prdVsLFigure(table) ?? "<p>No evaluated epoch yet.</p>\n" }

    /// Each trial's best PRD against its Lipschitz bound (SVG), nil before any evaluated epoch.
    static func prdVsLFigure(_ table: TextTable) -> String? {
        let col = Dictionary(uniqueKeysWithValues: table.columns.enumerated().map { ($1, $0) })
        var plot = SVGPlot(title: "Best PRD vs Lipschitz bound", xLabel: "Lipschitz bound L at the best epoch (log)", yLabel: "best PRD", logX: true)
        var byRegularizer: [String: [(x: Double, y: Double, err: Double?)]] = [:], order: [String] = []
        for row in table.rows {
            guard case let .text(reg) = row[col["regularizer"]!], case let .number(l) = row[col["lipschitz_bound"]!],
                  case let .number(prd) = row[col["best_prd"]!] else { continue }
            if byRegularizer[reg] == nil { order.append(reg) }
            byRegularizer[reg, default: []].append((l, prd, nil))
        }
        for (i, reg) in order.enumerated() {
            plot.series.append(.init(label: reg, points: byRegularizer[reg]!, color: SVGPlot.palette[i % SVGPlot.palette.count], lines: false))
        }
        return order.isEmpty ? nil : plot.render()
    }

    static func bestTrialPerRegularizer(_ table: TextTable) -> [Int] {
        let col = Dictionary(uniqueKeysWithValues: table.columns.enumerated().map { ($1, $0) })
        var best: [String: (Int, Double)] = [:], order: [String] = []
        for row in table.rows {
            guard case let .text(reg) = row[col["regularizer"]!], case let .int(n) = row[col["number"]!],
                  case let .number(prd) = row[col["best_prd"]!] else { continue }
            if best[reg] == nil { order.append(reg) }
            if best[reg].map({ prd > $0.1 }) ?? true { best[reg] = (n, prd) }
        }
        return order.map { best[$0]!.0 }
    }

    static func epochPlot(store: any TrialStoreReader, trials: [TrialRecord], numbers: [Int]) throws -> String {
        try epochFigure(store: store, trials: trials, numbers: numbers) ?? "<p>No evaluated epoch yet.</p>\n"
    }

    /// Physical and RAW PRD per epoch of the given trials (SVG), nil before any evaluated epoch.
    static func epochFigure(store: any TrialStoreReader, trials: [TrialRecord], numbers: [Int]) throws -> String? {
        var plot = SVGPlot(title: "PRD per epoch", xLabel: "epoch", yLabel: "PRD")
        for (i, n) in numbers.enumerated() {
            guard let t = trials.first(where: { $0.number == n }) else {
                throw InvalidTrialNumber(number: n, available: trials.count)
            }
            let epochs = try store.epochs(trialID: t.id)
            let color = SVGPlot.palette[i % SVGPlot.palette.count]
            let label = "#\(n) \(trialLabel(t))"
            plot.series.append(.init(label: label, points: epochs.compactMap { e in e.physPRD.map { (Double(e.epoch), $0, nil) } }, color: color))
            plot.series.append(.init(label: "#\(n) raw", points: epochs.compactMap { e in e.rawPRD.map { (Double(e.epoch), $0, nil) } },
                                     color: color, dashed: true))
        }
        return plot.series.allSatisfy({ $0.points.isEmpty }) ? nil : plot.render()
    }

    /// The series the report redraws QG on, beside the sweep's own metric: the logarithms of FPD
    /// and KPD, the field's standard pair (docs/science.md §6.1). QG on log FPD varied a quarter
    /// as much from seed to seed as QG on Physical PRD (README, "How noisy is QG").
    static let distanceMetricsShown: [QualityMetric] = [.logFPD, .logKPD]

    /// QG against learning rate recomputed on FPD and KPD (as `export qg --metric`), for the
    /// metrics that are not already every trial's own and that the workers recorded.
    static func distanceQGSection(store: any TrialStoreReader, sweepID: Int64, trials: [TrialRecord]) throws -> String {
        let own = Set(trials.map(\.config.qg.metric))
        var plots: [String] = []
        // One read of the sweep's epochs serves every redrawn metric.
        let epochs = try store.epochs(sweepID: sweepID)
        for metric in distanceMetricsShown where own != [metric] {
            let table = qgTable(trials, metric: metric, epochs: epochs)
            guard let at = table.columns.firstIndex(of: "qg_mean"),
                  table.rows.contains(where: { if case .number = $0[at] { true } else { false } }) else { continue }
            plots += qgPlots(table, metric: metric)
        }
        guard !plots.isEmpty else { return "" }
        return "<h2>Quality gain on the physics distances</h2>\n<p>The same curves with QG recomputed on "
            + "log₁₀ FPD and log₁₀ KPD (docs/science.md §6.1, §7): for a distance QG is the mean per-epoch decrease over "
            + "the QG window, so positive still means improving; on the logarithm, in decades per epoch "
            + "(`lipsweep export qg --metric log_fpd`).</p>\n"
            + "<div class=\"plots\">\n" + plots.joined() + "</div>\n"
    }

    /// The soft-margin paper's Appendix C (Figs. 9–13) for the chosen trials: the four scalar
    /// physics features of real and generated events after the last epoch, as densities over the
    /// worker's shared bins, and the mean sparsity curve. Trials whose worker sent no histograms
    /// line (not completed, or an older worker) are named and skipped.
    static func appendixCSection(store: any TrialStoreReader, trials: [TrialRecord], numbers: [Int]) throws -> String {
        var plots: [String] = [], missing: [Int] = []
        for n in numbers {
            guard let t = trials.first(where: { $0.number == n }) else { throw InvalidTrialNumber(number: n, available: trials.count) }
            guard let h = try store.histograms(trialID: t.id) else { missing.append(n); continue }
            let title = "#\(n) \(trialLabel(t)), epoch \(h.epoch)"
            for (name, feature) in h.features { plots.append(histogramPlot(name: name, feature, title: title)) }
            plots.append(sparsityPlot(h.sparsity, title: title))
        }
        guard !plots.isEmpty || !missing.isEmpty else { return "" }
        var out = "<h2>Physics features of real and generated showers (Appendix C)</h2>\n<p>Real test events (solid) "
            + "against one generated event per test condition (dashed), after the last epoch: the asymmetries and widths along "
            + "and across (docs/science.md §3) as densities, and the mean sparsity curve (fraction of cells with I ≥ α·E).</p>\n"
        if !missing.isEmpty {
            out += "<p>No histograms for trial(s) \(missing.map { "#\($0)" }.joined(separator: ", ")): "
                + "they did not complete, or their worker predates the histograms line.</p>\n"
        }
        return out + (plots.isEmpty ? "" : "<div class=\"plots\">\n" + plots.joined() + "</div>\n")
    }

    /// One feature's real and generated densities (count / (events · bin width)) at the bin centres.
    static func histogramPlot(name: String, _ f: HistogramsLine.Feature, title: String) -> String {
        func density(_ counts: [Int]) -> [(x: Double, y: Double, err: Double?)] {
            let total = Double(max(counts.reduce(0, +), 1))
            return counts.indices.compactMap { i in
                guard i + 1 < f.edges.count, f.edges[i + 1] > f.edges[i] else { return nil }
                return ((f.edges[i] + f.edges[i + 1]) / 2, Double(counts[i]) / total / (f.edges[i + 1] - f.edges[i]), nil)
            }
        }
        return realAgainstGenerated(SVGPlot(title: "\(name): \(title)", xLabel: name, yLabel: "density"),
                                    real: density(f.real), generated: density(f.generated))
    }

    /// The mean sparsity against the threshold α (log axis when α spans two decades).
    static func sparsityPlot(_ s: HistogramsLine.Sparsity, title: String) -> String {
        let positive = s.alpha.filter { $0 > 0 }
        let logX = positive.count == s.alpha.count && (positive.max() ?? 1) / (positive.min() ?? 1) >= 100
        func curve(_ values: [Double]) -> [(x: Double, y: Double, err: Double?)] { zip(s.alpha, values).map { ($0, $1, nil) } }
        return realAgainstGenerated(SVGPlot(title: "sparsity: \(title)", xLabel: logX ? "threshold α (log)" : "threshold α",
                                            yLabel: "mean sparsity", logX: logX),
                                    real: curve(s.real), generated: curve(s.generated))
    }

    /// An Appendix C panel: the real curve solid, the generated one dashed, in a smaller plot.
    static func realAgainstGenerated(_ plot: SVGPlot, real: [(x: Double, y: Double, err: Double?)],
                                     generated: [(x: Double, y: Double, err: Double?)]) -> String {
        var plot = plot
        plot.width = 540; plot.height = 300
        plot.series = [.init(label: "real", points: real, color: SVGPlot.palette[0]),
                       .init(label: "generated", points: generated, color: SVGPlot.palette[1], dashed: true)]
        return plot.render()
    }

    static func htmlTable(_ table: TextTable) -> String {
        var out = "<table>\n<tr>" + table.columns.map { "<th>\(escape($0))</th>" }.joined() + "</tr>\n"
        for row in table.rows { out += "<tr>" + row.map { "<td>\(escape($0.display))</td>" }.joined() + "</tr>\n" }
        return out + "</table>\n"
    }
}

struct InvalidTrialNumber: UserInputError {
    let number: Int, available: Int
    var description: String { "--trials \(number): no such trial; trial numbers go from 0 to \(available - 1)" }
}
