import DurableFiles
import Foundation
import ZIPFoundation

/// Reading and writing calorimeter events as NumPy `.npz` files (a zip of `.npy` arrays), the
/// format of the public LHCb ECAL GAN challenge data (docs/science.md §2).
///
/// Keys: `EnergyDeposit` N×30×30, `ParticleMomentum` N×3, `ParticlePoint` N×2. LHCb files may
/// store points as N×3 (x, y, z): any trailing dimension ≥ 2 is accepted and the first two
/// columns (x, y) are used. Extra keys are ignored. Members may be stored (`numpy.savez`) or
/// deflated (`numpy.savez_compressed`); arrays float32 or float64, little-endian, C order.
public enum CaloNPZ {
    public static let energyKey = "EnergyDeposit"
    public static let momentumKey = "ParticleMomentum"
    public static let pointKey = "ParticlePoint"

    /// Reads the three arrays of `url` into events. Every problem is a `CaloFileError` naming
    /// the file, the key and the fix.
    public static func read(_ url: URL) throws(CaloFileError) -> CaloEvents {
        let file = url.path
        let archive = try open(url)
        let energy = try array(energyKey, of: archive, file: file)
        let momentum = try array(momentumKey, of: archive, file: file)
        let point = try array(pointKey, of: archive, file: file)
        let n = try eventCount(energy: energy.shape, momentum: momentum.shape, point: point.shape, file: file)
        let width = point.shape[1]
        var xy = [Float](repeating: 0, count: 2 * n)
        for e in 0..<n {
            xy[2 * e] = point.values[width * e]
            xy[2 * e + 1] = point.values[width * e + 1]
        }
        return CaloEvents(energy: energy.values, momentum: momentum.values, point: xy)
    }

    /// Checks `url` as `read` would — keys, dtypes, order, shapes, event counts, and that each
    /// member holds as many bytes as its header promises — from the headers alone, without
    /// decoding the arrays; returns the event count. For checking a data file before a sweep
    /// starts (a 60,000-event file takes milliseconds, not the seconds of a full read).
    public static func inspect(_ url: URL) throws(CaloFileError) -> Int {
        let file = url.path
        let archive = try open(url)
        var shapes: [String: [Int]] = [:]
        for key in [energyKey, momentumKey, pointKey] {
            let entry = try member(key, of: archive, file: file)
            var head = Data()
            do {
                // A header is at most a few hundred bytes; stop extracting after the first chunk.
                _ = try archive.extract(entry, bufferSize: 4096, skipCRC32: true) { chunk in
                    head.append(chunk)
                    throw HeaderRead()
                }
            } catch is HeaderRead {
            } catch {
                throw CaloFileError(file: file, key: key, problem: "cannot be extracted (\(reason(error)))",
                                    fix: "the file is damaged or truncated; copy or export it again")
            }
            let header: NPYArray.Header
            do { header = try NPYArray.header(head) } catch {
                throw CaloFileError(file: file, key: key, problem: error.problem, fix: error.fix)
            }
            guard Int64(header.byteCount) <= Int64(entry.uncompressedSize) else {
                let problem = NPYArray.truncated(shape: header.shape, needed: header.byteCount - header.dataStart,
                                                 found: Int(entry.uncompressedSize) - header.dataStart)
                throw CaloFileError(file: file, key: key, problem: problem.problem, fix: problem.fix)
            }
            shapes[key] = header.shape
        }
        return try eventCount(energy: shapes[energyKey]!, momentum: shapes[momentumKey]!, point: shapes[pointKey]!, file: file)
    }

    private struct HeaderRead: Error {}

    /// The shapes of the three arrays must be (N, 30, 30), (N, 3) and (N, ≥ 2) with one N.
    private static func eventCount(energy: [Int], momentum: [Int], point: [Int], file: String) throws(CaloFileError) -> Int {
        guard energy.count == 3, energy[1] == CaloGrid.side, energy[2] == CaloGrid.side else {
            throw CaloFileError(file: file, key: energyKey, problem: "has shape \(NPYArray.shapeText(energy)), expected (N, 30, 30)",
                                fix: "give 30×30 ECAL cell images (one per event)")
        }
        guard momentum.count == 2, momentum[1] == 3 else {
            throw CaloFileError(file: file, key: momentumKey, problem: "has shape \(NPYArray.shapeText(momentum)), expected (N, 3)",
                                fix: "give (px, py, pz) per event")
        }
        guard point.count == 2, point[1] >= 2 else {
            throw CaloFileError(file: file, key: pointKey, problem: "has shape \(NPYArray.shapeText(point)), expected (N, 2) or (N, 3)",
                                fix: "give the entry point (x, y) per event")
        }
        let n = energy[0]
        for (key, rows) in [(momentumKey, momentum[0]), (pointKey, point[0])] where rows != n {
            throw CaloFileError(file: file, key: key,
                                problem: "has \(rows) events but \(energyKey) has \(n)",
                                fix: "all three arrays must hold the same events in the same order")
        }
        return n
    }

    /// Writes `events` as float32 arrays under the three keys; `numpy.load` reads it back.
    /// `compressed` deflates the members, as `numpy.savez_compressed` does. The file is
    /// replaced durably (DurableFile), so a failed write or a crash never leaves half a file.
    public static func write(_ events: CaloEvents, to url: URL, compressed: Bool = false) throws(CaloFileError) {
        let n = events.count
        try writeArrays([
            (energyKey, NPYArray(shape: [n, CaloGrid.side, CaloGrid.side], values: events.energy)),
            (momentumKey, NPYArray(shape: [n, 3], values: events.momentum)),
            (pointKey, NPYArray(shape: [n, 2], values: events.point)),
        ], to: url, compressed: compressed)
    }

    /// Writes any float32 arrays under their keys, in order (`numpy.load` reads them back);
    /// atomically, as `write`.
    public static func writeArrays(_ members: [(String, NPYArray)], to url: URL, compressed: Bool = false) throws(CaloFileError) {
        let directory = url.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CaloFileError(file: url.path, problem: "cannot be written: the directory \(directory) does not exist",
                                fix: "create the directory first or choose another path")
        }
        do {
            let archive = try Archive(data: Data(), accessMode: .create)
            for (key, array) in members {
                let payload = array.encoded()
                try archive.addEntry(with: key + ".npy", type: .file, uncompressedSize: Int64(payload.count),
                                     modificationDate: Date(timeIntervalSince1970: 315_532_800),  // 1980-01-01: reproducible bytes
                                     compressionMethod: compressed ? .deflate : .none) { position, size in
                    payload.subdata(in: Int(position) ..< Int(position) + size)
                }
            }
            guard let data = archive.data else { throw CocoaError(.fileWriteUnknown) }
            try DurableFile.write(data, to: url)
        } catch {
            throw CaloFileError(file: url.path, problem: "cannot be written (\(reason(error)))",
                                fix: "check that the directory exists and is writable")
        }
    }

    /// Every array of `url` by key (the member name without `.npy`).
    public static func readArrays(_ url: URL) throws(CaloFileError) -> [String: NPYArray] {
        let archive = try open(url)
        var arrays: [String: NPYArray] = [:]
        for entry in archive where entry.type == .file {
            let key = entry.path.hasSuffix(".npy") ? String(entry.path.dropLast(4)) : entry.path
            arrays[key] = try array(key, of: archive, file: url.path)
        }
        return arrays
    }

    // MARK: helpers

    private static func open(_ url: URL) throws(CaloFileError) -> Archive {
        let file = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) else {
            throw CaloFileError(file: file, problem: "no such file", fix: "check the path")
        }
        guard !isDirectory.boolValue else {
            throw CaloFileError(file: file, problem: "is a directory, not an .npz file", fix: "give the path of the .npz file")
        }
        guard FileManager.default.isReadableFile(atPath: file) else {
            throw CaloFileError(file: file, problem: "is not readable", fix: "check its permissions")
        }
        do {
            return try Archive(url: url, accessMode: .read)
        } catch {
            throw CaloFileError(file: file, problem: "is not a readable .npz (zip) archive: truncated, damaged or another format",
                                fix: "give a file written by numpy.savez or numpy.savez_compressed (or `lipsweep simulate`)")
        }
    }

    /// The archive member of `key` (`key.npy`, or `key` as some writers name it).
    private static func member(_ key: String, of archive: Archive, file: String) throws(CaloFileError) -> Entry {
        guard let entry = archive[key + ".npy"] ?? archive[key] else {
            let present = archive.map { $0.path.hasSuffix(".npy") ? String($0.path.dropLast(4)) : $0.path }.sorted()
            throw CaloFileError(file: file, key: key,
                                problem: "missing (the file holds: \(present.isEmpty ? "nothing" : present.joined(separator: ", ")))",
                                fix: "an LHCb-format file needs the keys \(energyKey), \(momentumKey), \(pointKey)")
        }
        return entry
    }

    /// Extracts and decodes member `key.npy`.
    private static func array(_ key: String, of archive: Archive, file: String) throws(CaloFileError) -> NPYArray {
        let entry = try member(key, of: archive, file: file)
        var payload = Data(capacity: Int(min(entry.uncompressedSize, 1 << 34)))
        do {
            _ = try archive.extract(entry, skipCRC32: false) { chunk in payload.append(chunk) }
        } catch {
            throw CaloFileError(file: file, key: key, problem: "cannot be extracted (\(reason(error)))",
                                fix: "the file is damaged or truncated; copy or export it again")
        }
        do {
            return try NPYArray.decode(payload)
        } catch {
            throw CaloFileError(file: file, key: key, problem: error.problem, fix: error.fix)
        }
    }

    private static func reason(_ error: Error) -> String {
        if let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError {
            return underlying.localizedDescription
        }
        return (error as NSError).localizedDescription
    }
}
