import Crypto
import Foundation

/// The content hashes lipsweep stores: a trial's config hash (its identity in the database)
/// and a spec's hash. SHA-256 from swift-crypto; PinnedConfigHashTests holds the hashes of
/// the shipped specs, which must never change.
public enum ContentHash {
    /// Lowercase hex SHA-256 of `data` (64 characters).
    public static func sha256Hex(_ data: Data) -> String {
        SHA256.hash(data: data).map { byte in
            String(UInt8(byte >> 4), radix: 16) + String(UInt8(byte & 0x0f), radix: 16)
        }.joined()
    }
}
