import Foundation

/// A small line/scatter plot rendered as inline SVG (no scripts, no external resources).
/// Axes may be logarithmic; series may carry error bars; vertical dotted lines mark bounds.
struct SVGPlot {
    struct Series {
        var label: String
        var points: [(x: Double, y: Double, err: Double?)]
        var color: String
        var lines = true
        var dashed = false
    }
    struct VerticalLine { var x: Double; var color: String; var label: String }
    /// A shaded span of x (a boundary search's bracket), the full height of the plot.
    struct Band { var x0: Double; var x1: Double; var color: String; var label: String }
    /// A thick vertical bar at x from y0 to y1 (a bracket against margin); a nil end runs to
    /// the plot's edge. `kind` is its CSS class beside `bracket-bar` and its legend entry.
    struct Bar { var x: Double; var y0: Double?; var y1: Double?; var color: String; var label: String; var kind: String; var dash: String? }
    /// A shaded span of y across the plot's width (a bracket that has no x); nil ends run to the
    /// edge. `kind` is its CSS class beside `y-span` and its legend entry; `label` its tooltip.
    struct YSpan { var y0: Double?; var y1: Double?; var color: String; var label: String; var kind: String }

    var title: String
    var xLabel: String
    var yLabel: String
    var logX = false
    var logY = false
    var series: [Series] = []
    var verticals: [VerticalLine] = []
    var bands: [Band] = []
    var bars: [Bar] = []
    var ySpans: [YSpan] = []
    /// What the error bars are, shown in the legend when a point has one (nil: not named).
    var errorBarLegend: String?
    var width = 640.0, height = 380.0
    let left = 70.0, right = 200.0, top = 34.0, bottom = 50.0

    /// The classes the plots use (the report's page and a standalone figure share them).
    static let css = ".plot-title { font-weight: 600; font-size: 14px; } .tick { font-size: 11px; fill: #444; } "
        + ".axis { font-size: 12px; } .legend { font-size: 11px; }"

    /// A rendered plot as an SVG file of its own: its styles (font family included, which the
    /// page gives otherwise) and a white background inside it.
    static func standalone(_ svg: String) -> String {
        guard let open = svg.range(of: ">\n") else { return svg }
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + svg[..<open.upperBound]
            + "<style>svg { font-family: system-ui, sans-serif; } \(css)</style>\n<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n"
            + svg[open.upperBound...]
    }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]

    func render() -> String {
        var xs: [Double] = series.flatMap { $0.points.map(\.x) } + verticals.map(\.x)
        xs += bands.flatMap { [$0.x0, $0.x1] } + bars.map(\.x)
        var ys: [Double] = series.flatMap { s in s.points.flatMap { p in [p.y - (p.err ?? 0), p.y + (p.err ?? 0)] } }
        ys += bars.flatMap { b in [b.y0, b.y1].compactMap { $0 } }
        ys += ySpans.flatMap { b in [b.y0, b.y1].compactMap { $0 } }
        let xr = Self.range(xs.filter { !logX || $0 > 0 }, log: logX)
        let yr = Self.range(ys.filter { !logY || $0 > 0 }, log: logY)
        let plotW = width - left - right, plotH = height - top - bottom
        func tx(_ v: Double) -> Double { left + plotW * Self.fraction(v, xr, logX) }
        func ty(_ v: Double) -> Double { top + plotH * (1 - Self.fraction(v, yr, logY)) }

        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(escape(title))\">\n"
        out += "<title>\(escape(title))</title>\n"
        out += "<text x=\"\(f(left))\" y=\"20\" class=\"plot-title\">\(escape(title))</text>\n"
        out += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"none\" stroke=\"#444\"/>\n"
        for t in Self.ticks(xr, log: logX) {
            out += "<line x1=\"\(f(tx(t)))\" y1=\"\(f(top + plotH))\" x2=\"\(f(tx(t)))\" y2=\"\(f(top + plotH + 5))\" stroke=\"#444\"/>"
            out += "<text x=\"\(f(tx(t)))\" y=\"\(f(top + plotH + 18))\" text-anchor=\"middle\" class=\"tick\">\(Self.label(t))</text>\n"
        }
        for t in Self.ticks(yr, log: logY) {
            out += "<line x1=\"\(f(left - 5))\" y1=\"\(f(ty(t)))\" x2=\"\(f(left + plotW))\" y2=\"\(f(ty(t)))\" stroke=\"#eee\"/>"
            out += "<text x=\"\(f(left - 8))\" y=\"\(f(ty(t) + 4))\" text-anchor=\"end\" class=\"tick\">\(Self.label(t))</text>\n"
        }
        out += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 10))\" text-anchor=\"middle\" class=\"axis\">\(escape(xLabel))</text>\n"
        out += "<text transform=\"translate(16 \(f(top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\" class=\"axis\">\(escape(yLabel))</text>\n"
        for b in bands where !logX || (b.x0 > 0 && b.x1 > 0) {
            let x0 = tx(min(b.x0, b.x1)), x1 = tx(max(b.x0, b.x1))
            out += "<rect class=\"band\" x=\"\(f(x0))\" y=\"\(f(top))\" width=\"\(f(max(x1 - x0, 2)))\" height=\"\(f(plotH))\" fill=\"\(b.color)\" fill-opacity=\"0.18\"><title>\(escape(b.label))</title></rect>\n"
        }
        for b in ySpans {
            let y0 = b.y0.map(ty) ?? top + plotH, y1 = b.y1.map(ty) ?? top
            out += "<rect class=\"y-span \(b.kind)\" x=\"\(f(left))\" y=\"\(f(min(y0, y1)))\" width=\"\(f(plotW))\" height=\"\(f(max(abs(y0 - y1), 2)))\" fill=\"\(b.color)\" fill-opacity=\"0.15\" stroke=\"\(b.color)\" stroke-dasharray=\"4 3\"><title>\(escape(b.label))</title></rect>\n"
        }
        for b in bars where !logX || b.x > 0 {
            let y0 = b.y0.map(ty) ?? top + plotH, y1 = b.y1.map(ty) ?? top
            out += "<line class=\"bracket-bar \(b.kind)\" x1=\"\(f(tx(b.x)))\" y1=\"\(f(y0))\" x2=\"\(f(tx(b.x)))\" y2=\"\(f(y1))\" stroke=\"\(b.color)\" stroke-width=\"6\"\(b.dash.map { " stroke-dasharray=\"\($0)\"" } ?? "")><title>\(escape(b.label))</title></line>\n"
        }
        for v in verticals where !logX || v.x > 0 {
            out += "<line class=\"bound\" x1=\"\(f(tx(v.x)))\" y1=\"\(f(top))\" x2=\"\(f(tx(v.x)))\" y2=\"\(f(top + plotH))\" stroke=\"\(v.color)\" stroke-width=\"1.5\" stroke-dasharray=\"2 4\"><title>\(escape(v.label))</title></line>\n"
        }
        for s in series {
            let pts = s.points.filter { (!logX || $0.x > 0) && (!logY || $0.y > 0) }.sorted { $0.x < $1.x }
            if s.lines, pts.count > 1 {
                let d = pts.enumerated().map { "\($0 == 0 ? "M" : "L")\(f(tx($1.x))) \(f(ty($1.y)))" }.joined(separator: " ")
                out += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"2\"\(s.dashed ? " stroke-dasharray=\"6 3\"" : "")/>\n"
            }
            for p in pts {
                if let e = p.err, e > 0 {
                    out += "<line x1=\"\(f(tx(p.x)))\" y1=\"\(f(ty(p.y - e)))\" x2=\"\(f(tx(p.x)))\" y2=\"\(f(ty(p.y + e)))\" stroke=\"\(s.color)\"/>"
                }
                out += "<circle cx=\"\(f(tx(p.x)))\" cy=\"\(f(ty(p.y)))\" r=\"3.5\" fill=\"\(s.color)\"><title>\(escape(s.label)): (\(formatNumber(p.x)), \(formatNumber(p.y)))</title></circle>\n"
            }
        }
        // Legend to the right of the plot.
        var ly = top + 8
        for s in series {
            // A series drawn as points alone (lines: false) is keyed by a point, not a line.
            out += s.lines
                ? "<line x1=\"\(f(width - right + 12))\" y1=\"\(f(ly))\" x2=\"\(f(width - right + 32))\" y2=\"\(f(ly))\" stroke=\"\(s.color)\" stroke-width=\"2\"\(s.dashed ? " stroke-dasharray=\"6 3\"" : "")/>"
                : "<circle class=\"legend-point\" cx=\"\(f(width - right + 22))\" cy=\"\(f(ly))\" r=\"3.5\" fill=\"\(s.color)\"/>"
            let short = s.label.count > 26 ? String(s.label.prefix(25)) + "…" : s.label
            out += "<text x=\"\(f(width - right + 38))\" y=\"\(f(ly + 4))\" class=\"legend\">\(escape(short))<title>\(escape(s.label))</title></text>\n"
            ly += 18
        }
        if !verticals.isEmpty {
            out += "<line x1=\"\(f(width - right + 12))\" y1=\"\(f(ly))\" x2=\"\(f(width - right + 32))\" y2=\"\(f(ly))\" stroke=\"#444\" stroke-dasharray=\"2 4\"/>"
            out += "<text x=\"\(f(width - right + 38))\" y=\"\(f(ly + 4))\" class=\"legend\">2/L (dotted)</text>\n"
            ly += 18
        }
        if let errorBarLegend, series.contains(where: { $0.points.contains { ($0.err ?? 0) > 0 } }) {
            out += "<line x1=\"\(f(width - right + 22))\" y1=\"\(f(ly - 6))\" x2=\"\(f(width - right + 22))\" y2=\"\(f(ly + 6))\" stroke=\"#444\"/>"
            out += "<text x=\"\(f(width - right + 38))\" y=\"\(f(ly + 4))\" class=\"legend\">bars: \(escape(errorBarLegend))</text>\n"
            ly += 18
        }
        if !bands.isEmpty {
            out += "<rect x=\"\(f(width - right + 12))\" y=\"\(f(ly - 5))\" width=\"20\" height=\"10\" fill=\"#444\" fill-opacity=\"0.18\"/>"
            out += "<text x=\"\(f(width - right + 38))\" y=\"\(f(ly + 4))\" class=\"legend\">bracket (shaded)</text>\n"
            ly += 18
        }
        // One entry per kind of bar (its first bar's colour and dash), then per span.
        var kinds: [String] = []
        for b in bars where !kinds.contains(b.kind) {
            kinds.append(b.kind)
            out += "<line x1=\"\(f(width - right + 12))\" y1=\"\(f(ly))\" x2=\"\(f(width - right + 32))\" y2=\"\(f(ly))\" stroke=\"\(b.color)\" stroke-width=\"6\"\(b.dash.map { " stroke-dasharray=\"\($0)\"" } ?? "")/>"
            out += "<text x=\"\(f(width - right + 38))\" y=\"\(f(ly + 4))\" class=\"legend\">bracket: \(escape(b.kind))</text>\n"
            ly += 18
        }
        for b in ySpans {
            out += "<rect x=\"\(f(width - right + 12))\" y=\"\(f(ly - 5))\" width=\"20\" height=\"10\" fill=\"\(b.color)\" fill-opacity=\"0.15\" stroke=\"\(b.color)\" stroke-dasharray=\"4 3\"/>"
            out += "<text x=\"\(f(width - right + 38))\" y=\"\(f(ly + 4))\" class=\"legend\">\(escape(b.kind)) (span)<title>\(escape(b.label))</title></text>\n"
            ly += 18
        }
        return out + "</svg>\n"
    }

    private func f(_ v: Double) -> String { String(format: "%.1f", v.isFinite ? v : 0) }

    /// Data range padded by 5 % (in log space for log axes); a single value gets a unit span.
    static func range(_ values: [Double], log: Bool) -> (Double, Double) {
        let v = values.filter(\.isFinite).map { log ? log10($0) : $0 }
        guard var lo = v.min(), var hi = v.max() else { return (0, 1) }
        if hi - lo < 1e-12 { lo -= log ? 0.5 : max(abs(lo) * 0.1, 0.5); hi += log ? 0.5 : max(abs(hi) * 0.1, 0.5) }
        let pad = (hi - lo) * 0.05
        return (lo - pad, hi + pad)
    }

    static func fraction(_ v: Double, _ r: (Double, Double), _ log: Bool) -> Double {
        let x = log ? log10(max(v, 1e-300)) : v
        return (x - r.0) / (r.1 - r.0)
    }

    /// Decades (and 2, 5 multiples when the span is short) on log axes; 1-2-5 steps on linear.
    static func ticks(_ r: (Double, Double), log: Bool) -> [Double] {
        if log {
            let lo = Int(floor(r.0)), hi = Int(ceil(r.1))
            func marks(_ mantissas: [Double]) -> [Double] {
                (lo...hi).flatMap { e in mantissas.map { $0 * pow(10, Double(e)) } }.filter { log10($0) >= r.0 && log10($0) <= r.1 }
            }
            // Decades; 1-2-5 in each when the span is short or holds fewer than 3 decades.
            let decades = hi - lo <= 2 ? marks([1, 2, 5]) : marks([1])
            if decades.count >= 3 { return decades }
            let finer = marks([1, 2, 5])
            if finer.count >= 3 { return finer }
            // Less than a decade: evenly spaced values between the ends.
            return ticks((pow(10, r.0), pow(10, r.1)), log: false).filter { $0 > 0 }
        }
        let span = r.1 - r.0
        let raw = span / 5, magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        var t = ceil(r.0 / step) * step, out: [Double] = []
        while t <= r.1 + step * 1e-9 { out.append(abs(t) < step * 1e-9 ? 0 : t); t += step }
        return out
    }

    static func label(_ v: Double) -> String {
        if v != 0 && (abs(v) < 1e-2 || abs(v) >= 1e4) { return String(format: "%.0e", v) }
        return formatNumber(v)
    }
}

func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}
