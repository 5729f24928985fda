import DurableFiles
import Foundation

/// A small file of real blocks kept in the results directory while a sweep runs, given up the
/// moment the disk is full. A full disk is found by the write that failed, and what must
/// follow — running trials back to `pending` in the database — needs a few pages of SQLite's
/// write-ahead log. Freeing this file first makes that room, so a sweep stopped by a full
/// disk leaves every trial pending or finished, never `running` (the "ballast file" of
/// databases that must stay writable when their disk fills).
struct SpaceReserve {
    let url: URL
    /// 1 MiB: the release of every running trial writes a few 4 KiB pages.
    static let bytes = 1 << 20

    init(results: ResultsDirectory) { url = results.url.appendingPathComponent(".lipsweep-space-reserve") }

    /// Makes sure the reserve exists (whole: a shorter one, from a run that died while writing
    /// it, is written again). A disk too full for it is too full to start: `OutOfSpace`.
    func claim() throws {
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? nil
        if size == Self.bytes { return }
        do { try DurableFile.write(Data(count: Self.bytes), to: url) } catch {
            throw OutOfSpace.detect(error, fallbackPath: url.path) ?? error
        }
    }

    /// Gives the space back to the filesystem.
    func free() { unlink(url.path) }
}

extension OutOfSpace {
    /// What a worker's failed exit says about a full disk: the path it could not write, or nil
    /// when the failure was something else. lipsweep's own worker exits with `exitStatus` and
    /// names the path on stderr ("no space left on device writing PATH; free space …"). Another
    /// program's worker is recognised by its stderr (the C library's or SQLite's text) or, since
    /// on a full disk even its stderr — a log file on the same disk — may be lost, by the free
    /// space left where it writes, `directory` (its trial directory): under `nearlyFullBytes`.
    static func reported(status: Int32, killed: Bool, stderrTail: String, directory: String) -> String? {
        guard !killed, status != 0 else { return nil }
        let marker = "no space left on device writing "
        if let start = stderrTail.range(of: marker)?.upperBound,
           let end = stderrTail[start...].range(of: "; free space")?.lowerBound {
            return String(stderrTail[start..<end])
        }
        if status == exitStatus || mentioned(in: stderrTail) { return directory }
        if let free = freeBytes(at: directory), free < nearlyFullBytes { return directory }
        return nil
    }

    /// Less room than this where a worker writes counts as a full disk: a checkpoint of the
    /// `small` preset is a few MiB, and a disk this full fails the next write anyway.
    static let nearlyFullBytes: UInt64 = 16 << 20

    /// The bytes an unprivileged writer may still use on the filesystem holding `path`.
    static func freeBytes(at path: String) -> UInt64? {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return nil }
        return UInt64(stats.f_bavail) * UInt64(stats.f_frsize)
    }
}
