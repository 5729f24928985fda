import ArgumentParser
import DurableFiles
import Foundation
import Sweep

/// `--results DIR`, shared by every sweep command: where the database, checkpoints and
/// exports live.
struct ResultsOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Results directory (database, checkpoints, exports).", valueName: "DIR"))
    var results: String = "results"

    var directory: URL { URL(fileURLWithPath: results, isDirectory: true) }

    /// The results directory, its database (which must exist) and the sweep named, or the
    /// most recent one.
    func open(sweep name: String?) throws -> (dir: ResultsDirectory, store: any TrialStoreReader, sweep: SweepRecord) {
        let dir = ResultsDirectory(directory)
        let store = try dir.openExisting()
        return (dir, store, try dir.sweep(in: store, named: name))
    }

    /// Writes an output file durably (creating its folder) and prints its path.
    static func write(_ text: String, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try DurableFile.write(text, to: url)
        print(url.path)
    }
}
