import ArgumentParser
import Tensor

/// `lipsweep openblas-coretype` (hidden): prints the OPENBLAS_CORETYPE this binary runs with on
/// this machine — the user's own value, or BLASCore's choice when OpenBLAS fell back to generic
/// kernels — and nothing when OpenBLAS's own choice stands. `make test` exports it for the test
/// runner, which loads OpenBLAS too, so the in-process tests and the CLI run the same kernels
/// by one rule (BLASCore's). `--loaded` prints the kernel set OpenBLAS loaded instead.
struct OpenBLASCoreTypeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openblas-coretype",
        abstract: "Print the OPENBLAS_CORETYPE lipsweep runs with on this machine (empty: OpenBLAS's own choice).",
        shouldDisplay: false)

    @Flag(help: "Print the kernel set OpenBLAS loaded in this process instead.") var loaded = false

    func run() {
        print(loaded ? BLASCore.loaded : BLASCore.coreTypeInEffect ?? "")
    }
}
