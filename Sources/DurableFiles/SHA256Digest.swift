import COpenSSLSHA

/// SHA-256 (FIPS 180-4) through the system's libcrypto: the checksum of checksummed frames and
/// the content hashes of trial configs and specs. A digest is a digest whichever library
/// computes it: the pinned config hashes (PinnedConfigHashTests) and the known-answer vectors
/// (SHA256DigestTests) hold it to the standard.
public enum SHA256Digest {
    public static let byteCount = 32

    /// The 32-byte digest of `bytes`.
    public static func hash<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: byteCount)
        let done: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            digest.withUnsafeMutableBufferPointer { out in _ = SHA256(buffer.baseAddress, buffer.count, out.baseAddress) }
        }
        if done == nil {
            let copy = Array(bytes)
            copy.withUnsafeBufferPointer { buffer in
                digest.withUnsafeMutableBufferPointer { out in _ = SHA256(buffer.baseAddress, buffer.count, out.baseAddress) }
            }
        }
        return digest
    }

    /// Lowercase hex of the digest of `bytes` (64 characters).
    public static func hex<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(2 * byteCount)
        for byte in hash(bytes) { text.append(digits[Int(byte >> 4)]); text.append(digits[Int(byte & 0x0f)]) }
        return String(decoding: text, as: UTF8.self)
    }
}
