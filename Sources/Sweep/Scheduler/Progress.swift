import Foundation
import TrialProtocol

/// What the progress display shows at one moment.
struct ProgressSnapshot {
    struct Running { var number: Int; var label: String; var epoch: Int; var epochs: Int; var prd: Double?; var metric: String }
    var total: Int
    var done: Int
    var failed: Int
    var pending: Int
    var running: [Running]
    var etaSeconds: Double?
}

extension ProgressSnapshot {
    /// The display of `trials`; ETA = epochs still to run ÷ the epoch rate observed since `since`.
    init(trials all: [TrialRecord], lastEpoch: [Int64: (epoch: Int, prd: Double?)], epochsThisSession: Int, since started: Date) {
        let running = all.filter { $0.state == .running }.map { t in
            Running(number: t.number, label: trialLabel(t), epoch: lastEpoch[t.id]?.epoch ?? 0,
                    epochs: t.config.training.epochs, prd: lastEpoch[t.id]?.prd,
                    metric: t.config.qg.metric.progressName)
        }
        let remaining = all.filter { !$0.state.isTerminal }.reduce(0) { sum, t in
            sum + max(0, t.config.training.epochs - (lastEpoch[t.id]?.epoch ?? 0))
        }
        let elapsed = Date().timeIntervalSince(started)
        let eta = epochsThisSession > 0 ? Double(remaining) * elapsed / Double(epochsThisSession) : nil
        self.init(total: all.count, done: all.filter { $0.state.isFinished }.count, failed: all.filter { $0.state == .failed }.count,
                  pending: all.filter { $0.state == .pending }.count, running: running, etaSeconds: eta)
    }
}

/// Live progress on a terminal (a block redrawn in place, at most 4×/s); plain timestamped
/// log lines otherwise, so a log file or CI output stays readable.
final class ProgressDisplay {
    let isTerminal: Bool
    private var drawnLines = 0
    private var lastDraw = Date.distantPast
    private var lastText = ""
    private let output = FileHandle.standardOutput

    init(isTerminal: Bool = isatty(STDOUT_FILENO) == 1) { self.isTerminal = isTerminal }

    /// A log line: above the live block on a terminal, timestamped otherwise.
    func log(_ message: String) {
        if isTerminal {
            clearBlock()
            write(message + "\n")
        } else {
            let stamp = ISO8601DateFormatter().string(from: Date())
            write("\(stamp) \(message)\n")
        }
    }

    func update(_ snapshot: ProgressSnapshot, force: Bool = false) {
        guard isTerminal, force || Date().timeIntervalSince(lastDraw) > 0.25 else { return }
        var lines = [Self.headline(snapshot)]
        for r in snapshot.running.sorted(by: { $0.number < $1.number }) {
            lines.append("  #\(r.number) \(r.label)  epoch \(r.epoch)/\(r.epochs)  \(r.metric) \(r.prd.map(formatNumber) ?? "-")")
        }
        let text = lines.joined(separator: "\n") + "\n"
        // Redraw on change, and at least every 2 s so the ETA moves.
        guard force || drawnLines == 0 || text != lastText || Date().timeIntervalSince(lastDraw) > 2 else { return }
        lastDraw = Date()
        lastText = text
        clearBlock()
        write(text)
        drawnLines = lines.count
    }

    func finish() { if isTerminal { clearBlock() } }

    static func headline(_ s: ProgressSnapshot) -> String {
        let eta = s.etaSeconds.map { "ETA \(formatDuration($0))" } ?? "ETA -"
        return "\(s.done)/\(s.total) done, \(s.running.count) running, \(s.failed) failed, \(s.pending) pending; \(eta)"
    }

    private func clearBlock() {
        if drawnLines > 0 { write(String(repeating: "\u{1B}[1A\u{1B}[2K", count: drawnLines)); drawnLines = 0 }
    }

    private func write(_ text: String) { output.write(Data(text.utf8)) }
}

func formatDuration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    if s >= 3600 { return "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m" }
    if s >= 60 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
    return "\(s)s"
}

/// "hinge m=2 α=1 lr=0.001 seed=1": how a trial is named in logs and progress.
func trialLabel(_ t: TrialRecord) -> String {
    "\(curveLabel(t)) lr=\(formatNumber(t.lr)) seed=\(t.seed)"
}

/// "hinge m=3": a trial's regularizer and parameters, with its model family and loss when they
/// are not the defaults — everything of its grid point but the learning rate and seed.
func curveLabel(_ t: TrialRecord) -> String {
    // The model family and loss only when they are not the defaults (dcgan, hinge), so the
    // labels of a sweep that does not vary them read as before.
    var parts = t.arch == .dcgan ? [] : [t.arch.rawValue]
    if t.loss != .hinge { parts.append(t.loss.rawValue) }
    parts.append(t.regularizer.rawValue)
    if let m = t.margin { parts.append("m=\(formatNumber(m))") }
    if let a = t.alpha { parts.append("α=\(formatNumber(a))") }
    if let l = t.lambda { parts.append("λ=\(formatNumber(l))") }
    return parts.joined(separator: " ")
}

extension QualityMetric {
    /// The name progress lines give the series QG is on: `PRD` for the paper's Physical PRD,
    /// else the metric's own name (`log_fpd`, …).
    var progressName: String { self == .physPRD ? "PRD" : rawValue }
}
