import Foundation

/// A write failed because the filesystem is full (ENOSPC, or EDQUOT: a quota is the same to the
/// user). Retrying cannot help while the disk stays full, so a sweep stops at the first one
/// instead of charging every trial its retries: both sides of the worker protocol recognise it
/// here, the worker exits with `exitStatus`, and the scheduler stops (docs/worker-protocol.md,
/// "A full disk").
public struct OutOfSpace: Error, CustomStringConvertible, Equatable {
    /// The file or directory that could not be written.
    public var path: String

    public init(path: String) { self.path = path }

    /// The one line a user sees.
    public var description: String { "no space left on device writing \(path); free space and run again" }

    /// The exit status of a worker (`lipsweep train`, `lipsweep worker`) that ran out of space:
    /// ENOSPC's own number, so that a log reader can tell it from a crash (1) or a rejected
    /// config (2). A worker of another program may use it too; one that does not is recognised
    /// by `mentioned(in:)` on its stderr.
    public static let exitStatus: Int32 = 28

    /// The out-of-space failure `error` reports, or nil when it reports something else.
    /// `fallbackPath` names the place when the error itself names none.
    public static func detect(_ error: any Error, fallbackPath: String) -> OutOfSpace? {
        if let error = error as? OutOfSpace { return error }
        if let error = error as? DurableFileError {
            return isNoSpace(errno: error.code) ? OutOfSpace(path: error.path) : nil
        }
        if let error = error as? POSIXError, isNoSpace(errno: error.code.rawValue) { return OutOfSpace(path: fallbackPath) }
        let ns = error as NSError
        let path = (ns.userInfo[NSFilePathErrorKey] as? String) ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path ?? fallbackPath
        if ns.domain == NSCocoaErrorDomain, ns.code == CocoaError.fileWriteOutOfSpace.rawValue { return OutOfSpace(path: path) }
        if ns.domain == NSPOSIXErrorDomain, isNoSpace(errno: Int32(ns.code)) { return OutOfSpace(path: path) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying !== ns,
           let found = detect(underlying, fallbackPath: path) { return found }
        // Errors of other libraries (SQLite's "database or disk is full", a subprocess's
        // message) carry the system's text only.
        return mentioned(in: String(describing: error)) ? OutOfSpace(path: fallbackPath) : nil
    }

    /// Whether `text` (an error message, a worker's stderr) says the disk was full: the C
    /// library's text for ENOSPC ("No space left on device", also inside Python's "[Errno
    /// 28] …") or SQLite's for SQLITE_FULL.
    public static func mentioned(in text: String) -> Bool {
        text.contains(String(cString: strerror(ENOSPC))) || text.contains(String(cString: strerror(EDQUOT)))
            || text.contains("database or disk is full")
    }

    static func isNoSpace(errno code: Int32) -> Bool { code == ENOSPC || code == EDQUOT }
}
