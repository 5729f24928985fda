import DurableFiles
import Testing

/// SHA-256 through the system's libcrypto is SHA-256: FIPS 180-4's known answers, for inputs
/// shorter than, equal to and longer than one 64-byte block, and for a slice (not at index 0).
@Suite struct SHA256DigestTests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        (String(repeating: "a", count: 1000), "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"),
    ])
    func knownAnswers(_ text: String, _ hex: String) {
        #expect(SHA256Digest.hex(Array(text.utf8)) == hex)
        #expect(SHA256Digest.hash(Array(text.utf8)).count == 32)
    }

    @Test func aSliceIsHashedAsItsOwnBytes() {
        let bytes = Array("xxabc".utf8)
        #expect(SHA256Digest.hex(bytes[2...]) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256Digest.hex("abc".utf8) == SHA256Digest.hex(Array("abc".utf8)), "a non-contiguous collection too")
    }
}
