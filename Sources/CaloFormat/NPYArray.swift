import Foundation

/// One NumPy `.npy` array read into Float: its shape and its values in C (row-major) order.
///
/// Format (numpy.lib.format): the magic `\x93NUMPY`, version major/minor bytes, a header
/// length (UInt16 little-endian for version 1.0, UInt32 for 2.0 and 3.0), then an ASCII
/// Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (N, 30, 30), }`
/// padded with spaces and a newline, then the raw data.
public struct NPYArray: Equatable, Sendable {
    public var shape: [Int]
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "NPYArray: shape does not match the value count")
        self.shape = shape
        self.values = values
    }

    /// Why an `.npy` payload cannot be read; the caller adds the file and key.
    public struct FormatProblem: Error, Equatable {
        public let problem: String
        public let fix: String
    }

    private static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY

    /// Parses one `.npy` payload. Accepts float32 ('<f4') and float64 ('<f8'), little-endian,
    /// C order, header versions 1.0, 2.0 and 3.0; float64 values are rounded to Float.
    public static func decode(_ data: Data) throws(FormatProblem) -> NPYArray {
        // Read in place: an LHCb file holds hundreds of MB, so no intermediate byte array.
        let result = data.withUnsafeBytes { raw in Result { () throws(FormatProblem) in try decode(raw) } }
        return try result.get()
    }

    /// What an `.npy` header says: the shape, the bytes per value (4 or 8) and where the data
    /// starts; `byteCount` is the size a whole payload must have.
    public struct Header: Equatable, Sendable {
        public var shape: [Int]
        public var itemSize: Int
        public var dataStart: Int
        public var byteCount: Int { dataStart + shape.reduce(1, *) * itemSize }
    }

    /// Parses the header at the start of `data` (which may hold just the first bytes of the
    /// payload): magic, version, dtype, order and shape, each refused with the fix.
    public static func header(_ data: Data) throws(FormatProblem) -> Header {
        let result = data.withUnsafeBytes { raw in Result { () throws(FormatProblem) in try header(raw) } }
        return try result.get()
    }

    private static func header(_ bytes: UnsafeRawBufferPointer) throws(FormatProblem) -> Header {
        let notNPY = FormatProblem(problem: "is not a NumPy .npy array (bad magic or header)",
                                   fix: "write the arrays with numpy.savez or numpy.savez_compressed")
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else { throw notNPY }
        let major = bytes[6]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw notNPY }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw FormatProblem(problem: "has .npy format version \(major).\(bytes[7]), which is not supported (1.0, 2.0, 3.0 are)",
                                fix: "re-save the array with a current NumPy")
        }
        guard headerStart + headerLength <= bytes.count,
              let header = String(bytes: UnsafeRawBufferPointer(rebasing: bytes[headerStart ..< headerStart + headerLength]),
                                  encoding: major == 3 ? .utf8 : .isoLatin1)
        else { throw FormatProblem(problem: "is truncated inside its .npy header", fix: "the file is damaged; copy or export it again") }

        guard let descr = quotedValue(of: "descr", in: header),
              let fortran = literalValue(of: "fortran_order", in: header),
              let shapeText = tupleValue(of: "shape", in: header)
        else { throw notNPY }
        let itemSize: Int
        switch descr {
        case "<f4": itemSize = 4
        case "<f8": itemSize = 8
        default:
            throw FormatProblem(problem: "has dtype '\(descr)' (\(dtypeName(descr))), which is not supported",
                                fix: "convert it to little-endian float32, e.g. a.astype('<f4')")
        }
        guard fortran == "False" else {
            throw FormatProblem(problem: "is stored in Fortran (column-major) order, which is not supported",
                                fix: "save a C-ordered copy, e.g. numpy.ascontiguousarray(a)")
        }
        var shape: [Int] = []
        for part in shapeText.dropFirst().dropLast().split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let n = Int(trimmed), n >= 0 else { throw notNPY }
            shape.append(n)
        }
        return Header(shape: shape, itemSize: itemSize, dataStart: headerStart + headerLength)
    }

    private static func decode(_ bytes: UnsafeRawBufferPointer) throws(FormatProblem) -> NPYArray {
        let h = try header(bytes)
        let shape = h.shape, itemSize = h.itemSize, dataStart = h.dataStart
        let count = shape.reduce(1, *)
        guard bytes.count >= h.byteCount else {
            throw truncated(shape: shape, needed: count * itemSize, found: bytes.count - dataStart)
        }
        var values = [Float](repeating: 0, count: count)
        values.withUnsafeMutableBufferPointer { out in
            if itemSize == 4 {
                for k in 0..<count {
                    out[k] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: dataStart + 4 * k, as: UInt32.self)))
                }
            } else {
                for k in 0..<count {
                    out[k] = Float(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: dataStart + 8 * k, as: UInt64.self))))
                }
            }
        }
        return NPYArray(shape: shape, values: values)
    }

    static func truncated(shape: [Int], needed: Int, found: Int) -> FormatProblem {
        FormatProblem(problem: "is truncated: shape \(shapeText(shape)) needs \(needed) data bytes, found \(found)",
                      fix: "the file is damaged; copy or export it again")
    }

    /// `(N, 30, 30)` or `(N,)`, as NumPy prints a shape.
    public static func shapeText(_ shape: [Int]) -> String {
        shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }

    /// The `.npy` version 1.0 encoding as float32 little-endian, C order: what
    /// `numpy.save` writes for a float32 array (header padded so the data starts at a
    /// multiple of 64 bytes).
    public func encoded() -> Data {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(Self.shapeText(shape)), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data(capacity: 10 + header.utf8.count + 4 * values.count)
        data.append(contentsOf: NPYArray.magic + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        values.withUnsafeBufferPointer { buffer in
            // Float is IEEE-754 binary32 and every Swift platform this builds on is little-endian.
            data.append(UnsafeBufferPointer(start: UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: UInt8.self),
                                            count: 4 * buffer.count))
        }
        return data
    }

    // MARK: header dict parsing (the literal NumPy writes; keys in any order)

    private static func valueStart(of key: String, in header: String) -> String.Index? {
        for quote in ["'", "\""] {
            if let r = header.range(of: quote + key + quote) {
                guard let colon = header[r.upperBound...].firstIndex(of: ":") else { return nil }
                return header[header.index(after: colon)...].firstIndex { !$0.isWhitespace }
            }
        }
        return nil
    }

    private static func quotedValue(of key: String, in header: String) -> String? {
        guard let start = valueStart(of: key, in: header) else { return nil }
        let quote = header[start]
        guard quote == "'" || quote == "\"" else { return nil }
        let rest = header[header.index(after: start)...]
        guard let end = rest.firstIndex(of: quote) else { return nil }
        return String(rest[..<end])
    }

    private static func literalValue(of key: String, in header: String) -> String? {
        guard let start = valueStart(of: key, in: header) else { return nil }
        return String(header[start...].prefix { $0.isLetter })
    }

    private static func tupleValue(of key: String, in header: String) -> String? {
        guard let start = valueStart(of: key, in: header), header[start] == "(" else { return nil }
        let rest = header[header.index(after: start)...]
        guard let end = rest.firstIndex(of: ")") else { return nil }
        return "(" + String(rest[..<end]) + ")"
    }

    private static func dtypeName(_ descr: String) -> String {
        let order: String
        switch descr.first {
        case ">": order = "big-endian "
        case "<", "|", "=": order = ""
        default: order = ""
        }
        let kind = descr.dropFirst()
        switch kind.first {
        case "i": return order + "int\(8 * (Int(kind.dropFirst()) ?? 0))"
        case "u": return order + "uint\(8 * (Int(kind.dropFirst()) ?? 0))"
        case "f": return order + "float\(8 * (Int(kind.dropFirst()) ?? 0))"
        case "b": return "bool"
        case "c": return order + "complex\(8 * (Int(kind.dropFirst()) ?? 0))"
        default: return "not a float array"
        }
    }
}
