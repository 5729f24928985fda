import Foundation

/// Locates and runs the built `lipsweep` executable. `swift test` builds every product into
/// the same directory as the test bundle, so the binary sits next to the running test process
/// (in release mode when the suite runs with `-c release`, as `make test` does).
enum Binary {
    static var directory: URL {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        // The test runner may be inside `lipsweepPackageTests.xctest/`; step out of it.
        while dir.pathExtension == "xctest" || dir.path.contains(".xctest/") { dir.deleteLastPathComponent() }
        return dir
    }

    static var lipsweep: URL { directory.appendingPathComponent("lipsweep") }

    struct Result { var status: Int32; var stdout: String; var stderr: String }

    /// Runs `lipsweep args…` to completion, capturing both streams (read concurrently so a
    /// chatty child cannot fill a pipe and block).
    @discardableResult
    static func run(_ args: [String], cwd: URL? = nil, environment: [String: String] = [:]) throws -> Result {
        let p = Process()
        p.executableURL = lipsweep
        p.arguments = args
        if let cwd { p.currentDirectoryURL = cwd }
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        nonisolated(unsafe) var errData = Data()
        let errReader = Thread { errData = err.fileHandleForReading.readDataToEndOfFile() }
        errReader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        while !errReader.isFinished { usleep(1000) }
        return Result(status: p.terminationStatus,
                      stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }
}
