import ArgumentParser
import Foundation
import GAN
import TrialProtocol

/// `lipsweep train`: one trial of the embedded GAN trainer — the worker of
/// docs/worker-protocol.md. JSON lines on stdout, human progress on stderr.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the conditional calorimeter GAN (one trial); JSON lines on stdout.",
        discussion: """
        Settings come from the preset, then --config FILE.yaml (the trial config of \
        docs/worker-protocol.md), then the options given here. stdout carries one JSON line per \
        epoch and a final `end` line; progress goes to stderr. Exit 0 when the trial ended \
        (completed or diverged), 2 for an invalid config, 1 for a runtime failure.

        Trial-config options (the keys of the trial config; defaults as in a sweep spec):
        \(TrialOptions.helpText)
        """)

    @Option(help: "Trial config (YAML or JSON) with sections dataset, model, training, evaluation, qg.")
    var config: String?
    @OptionGroup var threadsOption: ThreadsOption
    @Option(name: .customLong("checkpoint-dir"), help: "Directory of the checkpoint written after every epoch.")
    var checkpointDir: String?
    @Flag(help: "Continue from the checkpoint in --checkpoint-dir if there is one.")
    var resume = false
    @Flag(name: .customLong("print-config"), help: "Print the resolved trial config (JSON) and exit without training.")
    var printConfig = false
    /// Every trial-config key's option (`--lr 1e-3`, `--regularizer=hinge`), read through
    /// TrialKeys, the one table of the keys: a key added there is an option here.
    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("Trial-config options, listed below.", valueName: "--KEY VALUE"))
    var settings: [String] = []

    func validate() throws {
        if resume && checkpointDir == nil { throw ValidationError("--resume needs --checkpoint-dir DIR") }
    }

    /// The preset, then the config file, then the options given here.
    func trialConfig() throws -> TrialConfig {
        var builder = TrialConfigBuilder(defaultPlace: config ?? "command line")
        let options = try TrialOptions.parse(settings)
        // The command line's --preset wins over the file's model.preset: set it last.
        if let config { try TrialConfigFile.read(try TrialConfigFile.load(config), file: config, into: &builder) }
        for (key, value, place) in options { builder.set(key, value, at: place) }
        return try builder.build()
    }

    func run() throws {
        let trial = try trialConfig()
        if printConfig {
            print(trial.workerFileText, terminator: "")
            return
        }
        let runner = TrialRunner(config: trial, checkpointDirectory: checkpointDir.map { URL(fileURLWithPath: $0) },
                                 threads: threadsOption.threads)
        try runner.run(resume: resume, emit: { line in
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }, progress: { text in
            FileHandle.standardError.write(Data(("lipsweep train: " + text + "\n").utf8))
        })
    }
}

/// `--KEY VALUE` / `--KEY=VALUE` pairs of trial-config options, checked against TrialKeys.
enum TrialOptions {
    static func parse(_ words: [String]) throws -> [(TrialKey, TrialValue, String)] {
        var out: [(TrialKey, TrialValue, String)] = []
        var i = 0
        while i < words.count {
            let word = words[i]
            guard word.hasPrefix("--") else {
                throw ValidationError("unexpected argument '\(word)'; trial-config options are written --KEY VALUE (see --help)")
            }
            var name = String(word.dropFirst(2)), value: String?
            if let eq = name.firstIndex(of: "=") {
                value = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            guard let key = TrialKeys.option(name) else {
                let hint = didYouMean(name, among: TrialKeys.all.map(\.option)).map { " did you mean '--\($0)'?" } ?? " (see --help)"
                throw ValidationError("unknown option '--\(name)';\(hint)")
            }
            if value == nil {
                guard i + 1 < words.count else { throw ValidationError("missing value for '--\(name) <\(name)>'; \(key.kind.example)") }
                i += 1
                value = words[i]
            }
            do {
                out.append((key, try key.kind.read(text: value!), "--\(name)"))
            } catch {
                throw TrialConfigError(place: "--\(name) \(value!)", problem: "`\(key.name)` \(error.problem)", fix: error.fix)
            }
            i += 1
        }
        return out
    }

    /// The options' help, for `lipsweep train --help`.
    static var helpText: String {
        let width = TrialKeys.all.map { $0.option.count }.max()! + 10
        return TrialKeys.all.map { key in
            let head = "  --\(key.option) <\(key.key)>"
            return head.padding(toLength: max(width, head.count + 2), withPad: " ", startingAt: 0) + key.help
        }.joined(separator: "\n")
    }
}
