import Foundation

/// Writing a file so that a crash or a power cut leaves either the old file or the new one,
/// whole — never a torn or empty one: the bytes go to a temporary file in the same directory,
/// which is fsync'ed, renamed over the target (atomic within one filesystem) and then the
/// directory is fsync'ed, so the rename itself is on disk. Without the first fsync a power cut
/// can leave the renamed file with no data blocks (zero bytes); without the second, the
/// directory may still name the old file, or none.
public enum DurableFile {
    public static func write(_ data: Data, to url: URL) throws(DurableFileError) {
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw DurableFileError(path: url.path, operation: "create a temporary file", code: errno) }
        var failure: DurableFileError?
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = DurableFileError(path: url.path, operation: "write", code: errno)
                    return
                }
                offset += n
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = DurableFileError(path: url.path, operation: "fsync", code: errno) }
        close(fd)
        if failure == nil, rename(temporary.path, url.path) != 0 {
            failure = DurableFileError(path: url.path, operation: "rename the temporary file over", code: errno)
        }
        if let failure {
            unlink(temporary.path)
            throw failure
        }
        syncDirectory(directory)
    }

    /// Text as UTF-8.
    public static func write(_ text: String, to url: URL) throws(DurableFileError) {
        try write(Data(text.utf8), to: url)
    }

    /// fsync of a directory, so that the names created or renamed in it are on disk.
    public static func syncDirectory(_ directory: URL) {
        let dir = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 { fsync(dir); close(dir) }
    }
}

/// A durable write that failed (disk full, permissions, a missing directory): a runtime
/// failure naming the file, the step and the system's reason.
public struct DurableFileError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var operation: String
    public var code: Int32
    public init(path: String, operation: String, code: Int32) { self.path = path; self.operation = operation; self.code = code }
    public var description: String { "\(path): cannot \(operation) (\(String(cString: strerror(code))))" }
}
