import Foundation
import Testing

/// The PyTorch twin of the ResNet family, scripts/twin_resnet.py, run with python3 and a
/// deadline. Tests that need it are skipped, with the reason, when torch cannot be imported.
enum Twin {
    /// The package directory (this file is Tests/GANTests/Twin.swift).
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let script = repository.appendingPathComponent("scripts/twin_resnet.py").path

    static let skipReason: Comment = "PyTorch is missing (python3 -c 'import torch' failed): `make deps` installs it as root"

    /// Whether `python3 -c "import torch"` succeeds (checked once).
    static let available: Bool = (try? python(["-c", "import torch"], timeout: 120).status) == 0

    struct Result { var status: Int32; var stdout: String; var stderr: String }

    struct TimedOut: Error, CustomStringConvertible { var description: String }

    /// `python3 args…` to completion within `timeout` seconds; output through files (never
    /// pipes), stdin /dev/null. On a timeout the process is killed and `TimedOut` thrown.
    static func python(_ args: [String], timeout: Double = 300) throws -> Result {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lipsweep-twin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("stdout"), err = dir.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3"] + args
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = try FileHandle(forWritingTo: out)
        p.standardError = try FileHandle(forWritingTo: err)
        try p.run()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(10_000) }
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            throw TimedOut(description: "python3 \(args.joined(separator: " ")) did not finish within \(Int(timeout)) s")
        }
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }
}
