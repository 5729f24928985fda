import Calo
import Foundation
import Tensor

/// Everything of a trial's state besides the two parameter stores.
public struct CheckpointState: Codable, Sendable, Equatable {
    public var config: TrialConfig
    /// Epochs completed.
    public var epoch: Int
    public var discriminatorSteps: Int
    /// The training stream (batch order, noise) where the next epoch starts.
    public var random: SeededRandom
    public var lecam: LeCamState
    public var statistics: ConditionStatistics
    /// Every epoch's line so far, for replay on resume.
    public var records: [EpochRecord]
}

/// Errors reading a checkpoint; a damaged or foreign file is the user's to remove.
public struct CheckpointError: UserInputError, Equatable {
    public var file: String
    public var problem: String
    public var description: String { "\(file): \(problem); delete the checkpoint directory to start the trial afresh" }
}

/// One file per trial, `DIR/checkpoint.lipsweep`:
///   magic "LIPSGAN\0" (8 bytes), format version (UInt32 LE),
///   then three blocks, each a UInt64 LE length and its bytes:
///   the JSON of `CheckpointState`, G's store (`ParameterStore.stateBytes`: parameters,
///   Adam moments, step), D's store (the same, with the SN vectors u, v and the k_i).
/// Written atomically: a temporary file in the same directory, fsync, rename, fsync of the
/// directory — a crash leaves the old checkpoint or the new one, never half of one.
public enum Checkpoint {
    public static let fileName = "checkpoint.lipsweep"
    public static let formatVersion: UInt32 = 1
    static let magic = Array("LIPSGAN\0".utf8)

    public static func url(in directory: URL) -> URL { directory.appendingPathComponent(fileName) }

    public static func write(_ state: CheckpointState, generator: [UInt8], discriminator: [UInt8], to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let header = try encoder.encode(state)
        var bytes = magic
        withUnsafeBytes(of: formatVersion.littleEndian) { bytes += $0 }
        for block in [Array(header), generator, discriminator] {
            withUnsafeBytes(of: UInt64(block.count).littleEndian) { bytes += $0 }
            bytes += block
        }
        let target = url(in: directory)
        let temporary = directory.appendingPathComponent(".\(fileName).\(getpid()).tmp")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temporary.path])
        }
        let handle = try FileHandle(forWritingTo: temporary)
        try handle.write(contentsOf: bytes)
        try handle.synchronize()
        try handle.close()
        guard rename(temporary.path, target.path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: target.path])
        }
        let dir = open(directory.path, O_RDONLY)
        if dir >= 0 { fsync(dir); close(dir) }
    }

    /// The checkpoint in `directory`, or nil if there is none.
    public static func read(from directory: URL) throws(CheckpointError) -> (state: CheckpointState, generator: [UInt8], discriminator: [UInt8])? {
        let file = url(in: directory)
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw CheckpointError(file: file.path, problem: "cannot be read")
        }
        let bytes = [UInt8](data)
        guard bytes.count >= 12, Array(bytes[0..<8]) == magic else {
            throw CheckpointError(file: file.path, problem: "is not a lipsweep trainer checkpoint")
        }
        let version = bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt32.self)) }
        guard version == formatVersion else {
            throw CheckpointError(file: file.path, problem: "has format version \(version); this lipsweep reads version \(formatVersion)")
        }
        var at = 12
        var blocks: [[UInt8]] = []
        for _ in 0..<3 {
            guard at + 8 <= bytes.count else { throw CheckpointError(file: file.path, problem: "is truncated") }
            let n = Int(bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: UInt64.self)) })
            at += 8
            guard n >= 0, at + n <= bytes.count else { throw CheckpointError(file: file.path, problem: "is truncated") }
            blocks.append(Array(bytes[at..<(at + n)]))
            at += n
        }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do {
            let state = try decoder.decode(CheckpointState.self, from: Data(blocks[0]))
            return (state, blocks[1], blocks[2])
        } catch {
            throw CheckpointError(file: file.path, problem: "has an unreadable state block (\(error))")
        }
    }
}
