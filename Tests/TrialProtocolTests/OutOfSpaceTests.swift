import DurableFiles
import Foundation
import Testing

/// A full disk is told from every other write failure, whichever layer reports it: our durable
/// writes, Foundation's file APIs, plain POSIX errors, SQLite's and other programs' messages.
@Suite struct OutOfSpaceTests {
    @Test func recognisesEveryLayersWayOfSayingTheDiskIsFull() {
        let durable = DurableFileError(path: "/r/checkpoints/t/checkpoint.bin", operation: "write", code: ENOSPC)
        #expect(OutOfSpace.detect(durable, fallbackPath: "/r") == OutOfSpace(path: "/r/checkpoints/t/checkpoint.bin"))
        let quota = DurableFileError(path: "/r/x", operation: "fsync", code: EDQUOT)
        #expect(OutOfSpace.detect(quota, fallbackPath: "/r") == OutOfSpace(path: "/r/x"))
        let cocoa = CocoaError(.fileWriteOutOfSpace, userInfo: [NSFilePathErrorKey: "/r/exports/qg.csv"])
        #expect(OutOfSpace.detect(cocoa, fallbackPath: "/r") == OutOfSpace(path: "/r/exports/qg.csv"))
        #expect(OutOfSpace.detect(POSIXError(.ENOSPC), fallbackPath: "/r/lipsweep.db") == OutOfSpace(path: "/r/lipsweep.db"))
        let wrapped = NSError(domain: NSCocoaErrorDomain, code: CocoaError.fileWriteUnknown.rawValue,
                              userInfo: [NSFilePathErrorKey: "/r/a", NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(ENOSPC))])
        #expect(OutOfSpace.detect(wrapped, fallbackPath: "/r") == OutOfSpace(path: "/r/a"))
        struct Message: Error, CustomStringConvertible { var description: String }
        #expect(OutOfSpace.detect(Message(description: "SQLite error 13: database or disk is full - while executing `INSERT …`"),
                                  fallbackPath: "/r/lipsweep.db") == OutOfSpace(path: "/r/lipsweep.db"))
        #expect(OutOfSpace.mentioned(in: "OSError: [Errno 28] No space left on device: '/r/checkpoints/x/checkpoint.json.tmp'"))
    }

    @Test func otherFailuresAreNotAFullDisk() {
        #expect(OutOfSpace.detect(DurableFileError(path: "/r/x", operation: "write", code: EACCES), fallbackPath: "/r") == nil)
        #expect(OutOfSpace.detect(POSIXError(.EIO), fallbackPath: "/r") == nil)
        #expect(OutOfSpace.detect(CocoaError(.fileNoSuchFile), fallbackPath: "/r") == nil)
        #expect(!OutOfSpace.mentioned(in: "OSError: [Errno 13] Permission denied: '/r/x'"))
    }

    @Test func theMessageNamesThePathAndTheRemedy() {
        #expect(OutOfSpace(path: "/r/lipsweep.db").description == "no space left on device writing /r/lipsweep.db; free space and run again")
        #expect(OutOfSpace.exitStatus == ENOSPC, "the worker's exit status is ENOSPC's number")
    }
}
