import Foundation

/// The soft-margin paper's Figs. 4–5 as one figure, drawn from the rows of `export boundary`:
/// each hinge combination's bracket of the learning rate as a bar at its margin m (log–log),
/// the line 2/m and the measured 2/L₃₀ of the brackets' trials as points; `sn`, which has no
/// margin, as a span across the width. Undecided and non-monotone brackets are drawn in their
/// own style and say so in the legend; combinations with no crossing are named below.
enum BoundaryFigure {
    static let styles: [String: (color: String?, dash: String?)] = [
        "bracketed": (nil, nil), "undecided": ("#ff7f0e", "6 3"), "non-monotone": ("#d62728", "2 3"), "searching": ("#7f7f7f", "1 3"),
    ]

    /// The figure (SVG) and its caption (HTML), or nil when the table has neither a hinge nor
    /// an sn row, or the search is not on the learning rate.
    static func figure(_ table: TextTable, axis: String) -> (svg: String, caption: String)? {
        guard axis == "lr" else { return nil }
        let col = Dictionary(uniqueKeysWithValues: table.columns.enumerated().map { ($1, $0) })
        func num(_ row: [TextTable.Cell], _ name: String) -> Double? {
            guard let i = col[name] else { return nil }
            switch row[i] { case let .number(x): return x; case let .int(i): return Double(i); default: return nil }
        }
        func text(_ row: [TextTable.Cell], _ name: String) -> String { col[name].map { row[$0].display } ?? "" }
        let hinge = table.rows.filter { text($0, "regularizer") == "hinge" && num($0, "margin") != nil }
        let sn = table.rows.filter { text($0, "regularizer") == "sn" }
        // The combination's own columns, other than regularizer and margin, that differ between
        // the rows of one regularizer tell their brackets apart (loss=bce, alpha=0.5, …).
        let own = Array(table.columns.prefix(col["status"] ?? 0)).filter { $0 != "regularizer" && $0 != "margin" }
        func varying(_ rows: [[TextTable.Cell]]) -> [String] { own.filter { c in Set(rows.map { text($0, c) }).count > 1 } }
        let (hingeKeys, snKeys) = (varying(hinge), varying(sn))
        func group(_ row: [TextTable.Cell]) -> String {
            (text(row, "regularizer") == "sn" ? snKeys : hingeKeys)
                .compactMap { c in let v = text(row, c); return v.isEmpty ? nil : "\(c)=\(v)" }.joined(separator: " ")
        }
        guard !hinge.isEmpty || !sn.isEmpty else { return nil }

        var plot = SVGPlot(title: "Convergence boundary against margin (Figs. 4–5)", xLabel: "soft margin m (log)",
                           yLabel: "learning rate γ (log)", logX: true, logY: true)
        plot.width = 720; plot.height = 420
        let groups = hinge.map(group).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        var noCrossing: [String] = []
        for (g, name) in groups.enumerated() {
            let color = SVGPlot.palette[g % SVGPlot.palette.count]
            // Side by side when several groups share a margin: a few percent apart on the log axis.
            let shift = pow(1.08, Double(g) - Double(groups.count - 1) / 2)
            var measured: [(x: Double, y: Double, err: Double?)] = []
            for row in hinge where group(row) == name {
                let m = num(row, "margin")!, status = text(row, "status")
                let label = "hinge m=\(formatNumber(m))\(name.isEmpty ? "" : " \(name)")"
                let lo = num(row, "lr_lo"), hi = num(row, "lr_hi")
                if lo != nil || hi != nil {
                    let style = styles[status] ?? (nil, nil)
                    plot.bars.append(.init(x: m * shift, y0: lo, y1: hi, color: style.color ?? color,
                                           label: "\(label): \(status), lr \(lo.map(formatNumber) ?? "?") – \(hi.map(formatNumber) ?? "?")",
                                           kind: status, dash: style.dash))
                } else if status == "no-crossing" {
                    noCrossing.append("\(label) (\(text(row, "note")))")
                }
                if let bound = num(row, "two_over_l_30") { measured.append((m * shift, bound, nil)) }
            }
            plot.series.append(.init(label: "2/L₃₀\(name.isEmpty ? "" : " \(name)")", points: measured, color: color, lines: false))
        }
        let margins = Set(hinge.compactMap { num($0, "margin") }).sorted()
        if !margins.isEmpty {
            plot.series.append(.init(label: "2/m", points: margins.map { ($0, 2 / $0, nil) }, color: "#444", dashed: true))
        }
        for row in sn {
            let lo = num(row, "lr_lo"), hi = num(row, "lr_hi"), status = text(row, "status")
            let label = "sn\(group(row).isEmpty ? "" : " \(group(row))"): \(status), lr \(lo.map(formatNumber) ?? "?") – \(hi.map(formatNumber) ?? "?")"
            if lo != nil || hi != nil {
                plot.ySpans.append(.init(y0: lo, y1: hi, color: styles[status]?.color ?? "#9467bd", label: label, kind: "sn " + status))
            } else if status == "no-crossing" {
                noCrossing.append("sn (\(text(row, "note")))")
            }
        }
        var caption = "<p>Each hinge combination's bracket of the learning rate (lr_lo … lr_hi of the table below) as a bar at its margin, "
            + "log–log: solid = bracketed within the resolution; dashed orange = undecided (undecided points where the turn is; "
            + "a missing end runs to the edge); dotted red = non-monotone (a point below the bracket does not converge). "
            + "The shaded span across the width is sn's bracket (sn has no margin). Dashed line: 2/m, the bound the margin "
            + "promises; points: 2/L₃₀ measured on the brackets' trials.</p>\n"
        if !noCrossing.isEmpty {
            caption += "<p>No crossing in the range: \(escape(noCrossing.joined(separator: "; "))).</p>\n"
        }
        return (plot.render(), caption)
    }
}
