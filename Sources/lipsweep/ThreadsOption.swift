import ArgumentParser

/// `--threads N` of the commands that compute (train, data, score, evaluate, generate): the
/// OpenBLAS threads, and the simulator's where it runs. One thread gives bit-reproducible
/// numbers for a seed on a given OpenBLAS kernel set (README, "Reproducibility").
struct ThreadsOption: ParsableArguments {
    @Option(help: "Threads for OpenBLAS and the simulator (1 gives bit-reproducible numbers for a seed).")
    var threads: Int = 1

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be ≥ 1, got \(threads)") }
    }
}
