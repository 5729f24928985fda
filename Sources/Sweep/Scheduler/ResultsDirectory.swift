import Foundation
import UserErrors

/// The layout of a results directory (`--results DIR`): `lipsweep.db`, `checkpoints/<sweep>/`,
/// `exports/`, `report.html`.
public struct ResultsDirectory: Sendable {
    public let url: URL
    public init(_ url: URL) { self.url = url }

    public var database: URL { url.appendingPathComponent("lipsweep.db") }
    public var lockFile: URL { url.appendingPathComponent("lipsweep.lock") }
    public func checkpoints(sweep: String) -> URL { url.appendingPathComponent("checkpoints").appendingPathComponent(sweep) }

    /// Opens the store for reading (`migrating`: for writing, its schema brought up to date
    /// first); a directory without a database is the user's mistake.
    public func openExisting(migrating: Bool = false) throws -> any TrialStore {
        guard FileManager.default.fileExists(atPath: database.path) else {
            throw InvalidInput("\(url.path): no lipsweep.db here; run `lipsweep run SPEC --results \(url.path)` first, or give the right --results")
        }
        return try SQLiteTrialStore(path: database.path, create: migrating)
    }

    /// The sweep to show: the one named, or the only/most recent one.
    public func sweep(in store: any TrialStoreReader, named name: String?) throws -> SweepRecord {
        let all = try store.sweeps()
        if let name {
            guard let s = all.first(where: { $0.name == name }) else {
                throw InvalidInput("\(database.path): no sweep named \"\(name)\"; sweeps here: \(all.map(\.name).joined(separator: ", "))")
            }
            return s
        }
        guard let last = all.last else { throw InvalidInput("\(database.path): no sweep yet; run `lipsweep run SPEC` first") }
        return last
    }
}

/// An exclusive lock on a results directory: one scheduler at a time writes its database.
/// flock is released by the kernel when the process dies, so a kill -9 leaves no stale lock.
final class DirectoryLock {
    private let fd: Int32

    init(_ path: URL) throws {
        fd = open(path.path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw InvalidInput("\(path.path): cannot create the lock file; check permissions of the results directory") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let holder = (try? String(contentsOf: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
            close(fd)
            throw InvalidInput("\(path.deletingLastPathComponent().path): another lipsweep run (pid \(holder)) is using this results directory; wait for it, stop it, or give another --results")
        }
        ftruncate(fd, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(fd, $0, strlen($0)) }
    }

    deinit { flock(fd, LOCK_UN); close(fd) }
}
