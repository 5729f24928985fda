import DurableFiles
import Foundation

/// The content hashes lipsweep stores: a trial's config hash (its identity in the database)
/// and a spec's hash. SHA-256 (DurableFiles' SHA256Digest, the system's libcrypto); PinnedConfigHashTests holds the hashes of
/// the shipped specs, which must never change.
public enum ContentHash {
    /// Lowercase hex SHA-256 of `data` (64 characters).
    public static func sha256Hex(_ data: Data) -> String {
        SHA256Digest.hex(data)
    }
}
