import Foundation

/// Directory of the package (the tests run from anywhere).
public enum Repo {
    public static var root: URL {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { dir.deleteLastPathComponent() }
        return dir
    }
    public static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    /// A fresh temporary directory for one test.
    public static func scratch(_ name: String) -> URL {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("lipsweep-\(name)-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}
