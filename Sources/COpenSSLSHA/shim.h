// SHA-256 from the system's OpenSSL libcrypto (Debian: libssl-dev): the one-shot
// SHA256(data, length, digest), which OpenSSL 3 keeps undeprecated. lipsweep needs nothing
// else of it; a system library instead of swift-crypto spares every fresh build BoringSSL's
// ~370 C, C++ and assembly files.
#include <openssl/sha.h>
