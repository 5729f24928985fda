import Foundation

/// A payload followed by the SHA-256 of the payload (32 bytes). A file cut short, filled with
/// zeros or partly overwritten fails the check, so a reader can tell a damaged file from a
/// good one before trusting any byte of it.
public enum ChecksummedFrame {
    public static let digestLength = SHA256Digest.byteCount

    /// `payload` + SHA-256(payload).
    public static func seal(_ payload: [UInt8]) -> [UInt8] {
        payload + SHA256Digest.hash(payload)
    }

    /// The payload of a sealed frame, or nil when the digest does not match (or the frame is
    /// shorter than a digest).
    public static func open(_ frame: [UInt8]) -> ArraySlice<UInt8>? {
        guard frame.count >= digestLength else { return nil }
        let payload = frame[..<(frame.count - digestLength)]
        let digest = SHA256Digest.hash(payload)
        return digest[...] == frame[(frame.count - digestLength)...] ? payload : nil
    }
}
