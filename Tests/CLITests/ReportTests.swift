import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// `lipsweep report` on a finished scripted sweep (the one of QueryExportTests).
@Suite(.serialized) struct ReportTests {
    static func report(_ extra: [String] = []) throws -> (Binary.Result, String) {
        let r = try Sweeps.lipsweep(["report", "--results", QueryExportTests.results.path] + extra)
        let path = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        return (r, (try? String(contentsOfFile: path, encoding: .utf8)) ?? "")
    }

    @Test func reportIsSelfContainedWithEveryPlot() throws {
        let (r, html) = try Self.report()
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasSuffix("report.html\n"))
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        // Nothing to fetch: no scripts, no links, no external images or styles.
        for forbidden in ["<script", "src=", "href=", "https://", "<link", "@import", "url("] {
            #expect(!html.contains(forbidden), "contains \(forbidden)")
        }
        let svgs = html.components(separatedBy: "<svg ").dropFirst().map { "<svg " + $0.components(separatedBy: "</svg>")[0] + "</svg>" }
        // QG vs lr for sn and hinge, PRD vs L, PRD per epoch; QG on log FPD and log KPD for sn
        // and hinge (the scripted worker sends the distances); Appendix C for the best trial of
        // each regularizer: four feature histograms and the sparsity curve.
        #expect(svgs.count == 4 + 4 + 2 * 5)
        for svg in svgs {
            #expect(svg.contains("<circle"))
            #expect(try XMLDocument(xmlString: svg).rootElement()?.name == "svg")
        }
        // One dotted 2/L line per QG curve: sn and hinge m=2 α=1. The sn curve's L_30 is the
        // mean over its points: lr 0.5 has L = 1.1, 1.65, 2.2 (seeds 1-3); lr 1.0 only 1.1, 1.65
        // (seed 3 diverged). The same two lines on the log-FPD and log-KPD QG plots.
        #expect(html.components(separatedBy: "class=\"bound\"").count - 1 == 2 * 3)
        let snL = ((1.1 + 1.65 + 2.2) / 3 + (1.1 + 1.65) / 2) / 2
        #expect(html.contains("sn: 2/L₃₀ = \(String(format: "%.4g", 2 / snL))"))
        #expect(html.contains("QG vs learning rate: hinge") && html.contains("m=2 α=1: (0.5, "))
        // The tables: 4 grid points and 12 trials (+ header rows).
        #expect(html.components(separatedBy: "<tr>").count - 1 == 5 + 13)
    }

    @Test func chosenTrialsAndMistakes() throws {
        let (r, html) = try Self.report(["--trials", "3,7", "--output", Repo.scratch("rep").appendingPathComponent("x.html").path])
        #expect(r.status == 0)
        #expect(html.contains("#3 sn lr=1 seed=1") && html.contains("#7 raw"))
        let bad = try Sweeps.lipsweep(["report", "--results", QueryExportTests.results.path, "--trials", "99"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--trials 99: no such trial"))
    }

    /// `--figure`: each of the page's plots alone as an SVG file; a wrong name lists the sweep's
    /// figures and exits 2 with nothing written.
    @Test func figuresAsStandaloneSVGFiles() throws {
        let dir = Repo.scratch("figures")
        for name in ["qg-sn", "qg-hinge", "prd-vs-l", "prd-per-epoch"] {
            let file = dir.appendingPathComponent("\(name).svg")
            let r = try Sweeps.lipsweep(["report", "--results", QueryExportTests.results.path, "--figure", name, "--output", file.path])
            #expect(r.status == 0, "\(name): \(r.stderr)")
            let svg = try String(contentsOf: file, encoding: .utf8)
            #expect(try XMLDocument(xmlString: svg).rootElement()?.name == "svg", "\(name)")
            #expect(svg.contains("<circle") && svg.contains("<style>"), "\(name)")
        }
        let qgSN = try String(contentsOf: dir.appendingPathComponent("qg-sn.svg"), encoding: .utf8)
        #expect(qgSN.contains("QG vs learning rate: sn") && !qgSN.contains("QG vs learning rate: hinge"))
        // A series of points alone is keyed by a point in the legend, a curve by a line: PRD vs
        // L has two (sn, hinge), the QG curves none.
        let prdVsL = try String(contentsOf: dir.appendingPathComponent("prd-vs-l.svg"), encoding: .utf8)
        #expect(prdVsL.components(separatedBy: "class=\"legend-point\"").count - 1 == 2)
        #expect(!qgSN.contains("legend-point"))
        let missing = dir.appendingPathComponent("boundary.svg")
        let bad = try Sweeps.lipsweep(["report", "--results", QueryExportTests.results.path, "--figure", "boundary", "--output", missing.path])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--figure boundary: sweep \"") && bad.stderr.contains("it has qg-hinge, qg-sn, prd-vs-l, prd-per-epoch"),
                "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: missing.path))
    }

    static var hasChromium: Bool {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"].contains { FileManager.default.isExecutableFile(atPath: $0) }
    }

    @Test(.enabled(if: hasChromium, "needs Debian's chromium (apt-get install -y chromium)"))
    func reportRendersInHeadlessChromium() throws {
        let (_, html) = try Self.report()
        let file = Repo.scratch("chromium").appendingPathComponent("report.html")
        try html.write(to: file, atomically: true, encoding: .utf8)
        let r = try Child.run(URL(fileURLWithPath: Repo.path("Tests/scripts/report-in-chromium.sh")), [file.path, "18"])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("18 SVG plots rendered"), "\(r.stdout)\n\(r.stderr)")
    }
}
