import ArgumentParser
import DurableFiles
import Foundation
import Tensor
import UserErrors

/// The `lipsweep` command: a thin layer that parses options and calls the libraries.
@main
struct Lipsweep: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lipsweep",
        abstract: "Hyperparameter sweeps of Lipschitz-regularised calorimeter GANs.",
        version: "0.1.0",
        subcommands: [
            PlanCommand.self, RunCommand.self, SyncCommand.self, CancelCommand.self, StatusCommand.self, QueryCommand.self,
            ExportCommand.self, ReportCommand.self,
            SimulateCommand.self, InspectCommand.self, EvaluateCommand.self,
            TrainCommand.self, DataCommand.self, ScoreCommand.self, GenerateCommand.self, SpoolWorkerCommand.self, OpenBLASCoreTypeCommand.self,
        ])

    /// Exit codes of the house: 0 success, 2 a user mistake (bad option, value, file or
    /// spec: one message, no stack trace), 1 a runtime failure.
    static func main() async {
        // OpenBLAS chose its kernels when it loaded, before this line; on a CPU it does not
        // recognise it chose generic SSE3 ones, and only OPENBLAS_CORETYPE set before loading
        // changes that: so restart once with it set (same pid, argv and environment plus the
        // variable; milliseconds). Workers this process starts inherit it. Tensor's BLASCore.
        BLASCore.restartWithBetterKernelsIfNeeded(program: "lipsweep")
        var parsed: ParsableCommand?
        do {
            var command = try parseAsRoot()
            parsed = command
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as UserInputError {
            FileHandle.standardError.write(Data("lipsweep: \(error.description)\n".utf8))
            Foundation.exit(2)
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                // Argument-parser usage errors (unknown option, bad value) are user mistakes too.
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            if code == .success || error is ExitCode || error is CleanExit { exit(withError: error) }
            // A full disk: one line naming the file, and for a worker the status that tells its
            // scheduler to stop the sweep rather than retry (DurableFiles' OutOfSpace).
            if let full = OutOfSpace.detect(error, fallbackPath: FileManager.default.currentDirectoryPath) {
                FileHandle.standardError.write(Data("lipsweep: \(full)\n".utf8))
                Foundation.exit(parsed is TrainCommand || parsed is SpoolWorkerCommand || parsed is DataCommand ? OutOfSpace.exitStatus : 1)
            }
            FileHandle.standardError.write(Data("lipsweep: error: \(error)\n".utf8))
            Foundation.exit(1)
        }
    }
}
