import Calo
import DurableFiles
import Foundation
import Tensor
import TrialProtocol
import UserErrors

/// Everything of a trial's state besides the two parameter stores.
public struct CheckpointState: Codable, Sendable, Equatable {
    /// The trial config the checkpoint belongs to; a resume with another config starts afresh.
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

/// A checkpoint that cannot be used. For `lipsweep generate` it is the user's file to replace
/// (exit 2); a resuming trainer sets it aside and starts the trial afresh (TrialRunner).
public struct CheckpointError: UserInputError, Equatable {
    public var file: String
    public var problem: String
    public var description: String { "\(file): \(problem); delete the checkpoint directory to start the trial afresh" }
}

/// One file per trial, `DIR/checkpoint.lipsweep`:
///   magic "LIPSGAN\0" (8 bytes), format version (UInt32 LE),
///   then three blocks, each a UInt64 LE length and its bytes:
///   the JSON of `CheckpointState`, G's store (`ParameterStore.stateBytes`: parameters,
///   Adam moments, step), D's store (the same, with the SN vectors u, v and the k_i),
///   then the SHA-256 of everything before it (ChecksummedFrame).
/// Written durably (DurableFile: temporary file, fsync, rename, fsync of the directory), so a
/// crash leaves the old checkpoint or the new one; the checksum catches what a power cut or a
/// disk can still do (a zero-length, cut or scribbled file).
public enum Checkpoint {
    public static let fileName = "checkpoint.lipsweep"
    /// 2: the trial config is TrialProtocol's and the file ends with its SHA-256.
    public static let formatVersion: UInt32 = 2
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
        try DurableFile.write(Data(ChecksummedFrame.seal(bytes)), to: url(in: directory))
    }

    /// The checkpoint in `directory`, or nil if there is none; a file that is not a whole,
    /// current checkpoint throws.
    public static func read(from directory: URL) throws(CheckpointError) -> (state: CheckpointState, generator: [UInt8], discriminator: [UInt8])? {
        let file = url(in: directory)
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw CheckpointError(file: file.path, problem: "cannot be read")
        }
        let frame = [UInt8](data)
        guard frame.count >= 12 else {
            throw CheckpointError(file: file.path, problem: frame.isEmpty ? "is empty" : "is truncated (\(frame.count) bytes)")
        }
        guard Array(frame[0..<8]) == magic else {
            throw CheckpointError(file: file.path, problem: "is not a lipsweep trainer checkpoint")
        }
        let version = frame.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt32.self)) }
        guard version == formatVersion else {
            throw CheckpointError(file: file.path, problem: "has format version \(version); this lipsweep reads version \(formatVersion)")
        }
        guard let bytes = ChecksummedFrame.open(frame) else {
            throw CheckpointError(file: file.path, problem: "fails its checksum (torn, truncated or overwritten)")
        }
        var at = bytes.startIndex + 12
        var blocks: [[UInt8]] = []
        for _ in 0..<3 {
            guard at + 8 <= bytes.endIndex else { throw CheckpointError(file: file.path, problem: "is truncated") }
            let n = Int(bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: at - bytes.startIndex, as: UInt64.self)) })
            at += 8
            guard n >= 0, at + n <= bytes.endIndex else { throw CheckpointError(file: file.path, problem: "is truncated") }
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

    /// Moves an unusable checkpoint out of the way (kept beside it for a post-mortem, never
    /// read again) and returns its new name.
    @discardableResult
    public static func setAside(in directory: URL) -> String {
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        let target = directory.appendingPathComponent("\(fileName).unusable-\(stamp)-\(getpid())")
        _ = rename(url(in: directory).path, target.path)
        DurableFile.syncDirectory(directory)
        return target.lastPathComponent
    }
}
