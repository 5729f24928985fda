import ArgumentParser
import Foundation
import Sweep

/// `lipsweep worker`: what a SLURM array task runs (written into the batch script by the
/// scheduler; not meant to be typed). See docs/worker-protocol.md, "The spool".
struct SpoolWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run one trial of a SLURM sweep from its spool directory (what each array task runs).")

    @Option(help: ArgumentHelp("The sweep's spool directory.", valueName: "DIR")) var spool: String
    @Option(help: "The array task id: the trial's number.") var task: Int

    func run() throws {
        let status = try SpoolWorker.run(spool: Spool(URL(fileURLWithPath: spool, isDirectory: true)), task: task)
        if status != 0 { throw ExitCode(status) }
    }
}
