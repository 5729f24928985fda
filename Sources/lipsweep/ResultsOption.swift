import ArgumentParser
import Foundation

/// `--results DIR`, shared by every sweep command: where the database, checkpoints and
/// exports live.
struct ResultsOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Results directory (database, checkpoints, exports).", valueName: "DIR"))
    var results: String = "results"

    var directory: URL { URL(fileURLWithPath: results, isDirectory: true) }
}
