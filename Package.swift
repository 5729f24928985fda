// swift-tools-version: 6.2
// lipsweep: hyperparameter sweeps of Lipschitz-regularised calorimeter GANs.
// Layering (each target imports only those to its left):
//   UserErrors, DurableFiles, JSONText, TrialProtocol, CaloFormat   (leaves shared by both sides)
//   CBLAS → Tensor → NN → Calo → Metrics → GAN   (the trainer and its numeric core)
//   Sweep (the orchestrator) → lipsweep (CLI)
// The orchestrator (Sweep) never imports the trainer (GAN) nor the numeric core (Tensor, NN,
// Calo, Metrics): a trial is a child process and the two share only the worker protocol,
// whose trial config, epoch fields and quality gain the TrialProtocol target defines once.
import PackageDescription

let package = Package(
    name: "lipsweep",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "lipsweep", targets: ["lipsweep"]),
        .executable(name: "lipsweep-bench", targets: ["lipsweep-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", exact: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system", exact: "1.8.1"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", exact: "0.9.20"),
    ],
    targets: [
        // The user-mistake error protocol (exit code 2) every layer throws.
        .target(name: "UserErrors"),
        // Files written so that a crash or power cut leaves the old one or the new one (fsync,
        // rename, fsync of the directory), and checksummed frames to tell a torn file.
        .target(name: "DurableFiles", dependencies: ["COpenSSLSHA"]),
        // SHA-256 from the system's libcrypto (module map over openssl/sha.h), for DurableFiles.
        .systemLibrary(name: "COpenSSLSHA", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // The worker protocol's one definition: the trial config (keys, types, defaults,
        // presets, ranges, regularizer parameter rules), the epoch fields, the quality gain.
        .target(name: "TrialProtocol", dependencies: ["UserErrors", .product(name: "Yams", package: "Yams")]),
        // Calorimeter events and their .npz file format (no numeric core), so the orchestrator
        // can check a data file before a sweep runs.
        .target(name: "CaloFormat", dependencies: ["UserErrors", "DurableFiles",
                                                   .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        // OpenBLAS through a module map over cblas.h.
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        // Storage, GEMM, im2col, seeded random numbers. Knows nothing of physics.
        .target(name: "Tensor", dependencies: ["CBLAS"]),
        // Layers with forward/backward, losses, spectral norm, Adam, parameter store.
        .target(name: "NN", dependencies: ["Tensor"]),
        // Calorimeter data: shower simulator, .npz I/O, preprocessing, physics features.
        .target(name: "Calo", dependencies: ["Tensor", "CaloFormat", "TrialProtocol"]),
        // k-means, PRD curves and AUC, RAW/Physical PRD.
        .target(name: "Metrics", dependencies: ["Tensor", "Calo", "UserErrors"]),
        // The embedded GAN trainer: presets, losses, Lipschitz regularizers, evaluation, checkpoints.
        .target(name: "GAN", dependencies: ["Tensor", "NN", "Calo", "Metrics", "JSONText", "TrialProtocol", "DurableFiles",
                                            "UserErrors"]),
        // The sweep orchestrator: YAML specs, trial store (SQLite), scheduler of worker
        // processes, query/export/report. Never imports the trainer (worker protocol only).
        .target(name: "Sweep", dependencies: [
            "TrialProtocol", "CaloFormat", "UserErrors", "DurableFiles", "JSONText",
            .product(name: "Yams", package: "Yams"),
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Subprocess", package: "swift-subprocess"),
            .product(name: "SystemPackage", package: "swift-system"),
        ]),
        // Hand-written JSON text (exact numbers, escapes), shared by both sides of the worker protocol.
        .target(name: "JSONText"),
        // Thin command-line interface: parses options and calls the libraries.
        .executableTarget(name: "lipsweep", dependencies: [
            "Tensor", "NN", "Calo", "Metrics", "Sweep", "GAN", "TrialProtocol", "UserErrors", "DurableFiles",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // `make bench`: throughput figures in release mode.
        .executableTarget(name: "lipsweep-bench", dependencies: ["Tensor", "NN", "Calo", "Metrics", "GAN", "TrialProtocol"]),
        // What the test suites share: running the built `lipsweep` (and any child) with a
        // deadline, and the package's paths. Built only with the tests.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "TrialProtocolTests", dependencies: ["TrialProtocol", "DurableFiles"]),
        .testTarget(name: "TensorTests", dependencies: ["Tensor"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "Tensor"]),
        .testTarget(name: "CaloTests", dependencies: ["Calo", "Tensor"], resources: [.copy("Fixtures")]),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics", "Calo", "Tensor"]),
        .testTarget(name: "GANTests", dependencies: ["GAN", "NN", "Tensor", "Calo", "Metrics", "TrialProtocol", "TestSupport"]),
        .testTarget(name: "SweepTests", dependencies: ["Sweep", "TrialProtocol", "UserErrors", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "CLITests", dependencies: ["Sweep", "Tensor", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
    ]
)
