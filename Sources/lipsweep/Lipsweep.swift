import ArgumentParser

/// The `lipsweep` command: a thin layer that parses options and calls the libraries.
@main
struct Lipsweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lipsweep",
        abstract: "Hyperparameter sweeps of Lipschitz-regularised calorimeter GANs.",
        version: "0.1.0",
        subcommands: [])
}
