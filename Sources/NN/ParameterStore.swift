import Tensor

/// A slice of a `ParameterStore` buffer: `count` floats starting at `offset`.
/// Layers keep slices (not pointers), so the store may grow while a network is being built.
public struct ParameterSlice: Sendable, Equatable {
    public let offset: Int
    public let count: Int
    public var range: Range<Int> { offset..<(offset + count) }
}

/// Errors of `ParameterStore.restore(from:)`.
public enum ParameterStoreError: Error, CustomStringConvertible, Equatable {
    case badMagic
    case sizeMismatch(expected: String, found: String)
    case truncated(bytes: Int, expected: Int)

    public var description: String {
        switch self {
        case .badMagic: "checkpoint: not a lipsweep network state (bad magic number)"
        case let .sizeMismatch(expected, found):
            "checkpoint: network shape differs (checkpoint has \(found), this network has \(expected)); use the same preset"
        case let .truncated(bytes, expected):
            "checkpoint: state is \(bytes) bytes, \(expected) expected; the file is truncated or corrupt"
        }
    }
}

/// All trainable state of one network in contiguous buffers (the llm.c layout):
/// `parameters` and `gradients` (same indexing), Adam's first and second moments, a
/// trainable mask, and `buffers` for non-trained persistent state (the spectral-norm u, v).
/// An optimiser step is one loop over the buffer; a checkpoint is one byte copy.
public final class ParameterStore: @unchecked Sendable {
    public private(set) var parameterCount = 0
    public private(set) var bufferCount = 0
    public private(set) var parameters: UnsafeMutablePointer<Float>
    public private(set) var gradients: UnsafeMutablePointer<Float>
    /// Adam's first moment m and second moment v, indexed like `parameters`.
    public private(set) var firstMoment: UnsafeMutablePointer<Float>
    public private(set) var secondMoment: UnsafeMutablePointer<Float>
    public private(set) var buffers: UnsafeMutablePointer<Float>
    /// Optimiser steps taken (Adam's t); part of the checkpointed state.
    public var step = 0
    private var trainable: [Bool] = []
    /// Maximal runs of trainable parameters, recomputed when the mask changes.
    public private(set) var trainableRanges: [Range<Int>] = []

    public init() {
        parameters = .allocate(capacity: 1); gradients = .allocate(capacity: 1)
        firstMoment = .allocate(capacity: 1); secondMoment = .allocate(capacity: 1)
        buffers = .allocate(capacity: 1)
    }

    deinit {
        for p in [parameters, gradients, firstMoment, secondMoment, buffers] { p.deallocate() }
    }

    private static func grow(_ p: inout UnsafeMutablePointer<Float>, from old: Int, to new: Int) {
        let q = UnsafeMutablePointer<Float>.allocate(capacity: max(new, 1))
        q.initialize(repeating: 0, count: max(new, 1))
        q.update(from: p, count: old)
        p.deallocate()
        p = q
    }

    /// Reserves `count` trainable parameters (zero, with zero gradient and moments).
    public func allocateParameters(_ count: Int) -> ParameterSlice {
        let old = parameterCount, new = old + count
        Self.grow(&parameters, from: old, to: new)
        Self.grow(&gradients, from: old, to: new)
        Self.grow(&firstMoment, from: old, to: new)
        Self.grow(&secondMoment, from: old, to: new)
        trainable += Array(repeating: true, count: count)
        parameterCount = new
        updateTrainableRanges()
        return ParameterSlice(offset: old, count: count)
    }

    /// Reserves `count` floats of persistent non-trained state (checkpointed, not optimised).
    public func allocateBuffer(_ count: Int) -> ParameterSlice {
        let old = bufferCount
        Self.grow(&buffers, from: old, to: old + count)
        bufferCount = old + count
        return ParameterSlice(offset: old, count: count)
    }

    @inline(__always) public func values(_ s: ParameterSlice) -> UnsafeMutablePointer<Float> { parameters + s.offset }
    @inline(__always) public func gradient(_ s: ParameterSlice) -> UnsafeMutablePointer<Float> { gradients + s.offset }
    @inline(__always) public func buffer(_ s: ParameterSlice) -> UnsafeMutablePointer<Float> { buffers + s.offset }

    public func zeroGradients() { gradients.update(repeating: 0, count: parameterCount) }

    /// Freezes (false) or unfreezes (true) a slice: frozen parameters keep their values and
    /// Adam moments through `Adam.step` (e.g. k_i under the `sn` regulariser).
    public func setTrainable(_ slice: ParameterSlice, _ isTrainable: Bool) {
        for i in slice.range { trainable[i] = isTrainable }
        updateTrainableRanges()
    }

    public func isTrainable(_ index: Int) -> Bool { trainable[index] }

    private func updateTrainableRanges() {
        var ranges: [Range<Int>] = []
        var start: Int? = nil
        for i in 0..<parameterCount {
            if trainable[i] { if start == nil { start = i } }
            else if let s = start { ranges.append(s..<i); start = nil }
        }
        if let s = start { ranges.append(s..<parameterCount) }
        trainableRanges = ranges
    }

    // MARK: checkpoint

    private static let magic: UInt64 = 0x4C49_5053_4E4E_0001 // "LIPSNN" v1

    /// Parameters, Adam moments, step count and buffers as bytes (little-endian layout:
    /// magic, parameterCount, bufferCount, step as UInt64, then the float arrays).
    public func stateBytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32 + 4 * (3 * parameterCount + bufferCount))
        for v in [Self.magic, UInt64(parameterCount), UInt64(bufferCount), UInt64(step)] {
            withUnsafeBytes(of: v.littleEndian) { out += $0 }
        }
        for (p, n) in [(parameters, parameterCount), (firstMoment, parameterCount),
                       (secondMoment, parameterCount), (buffers, bufferCount)] {
            out += UnsafeRawBufferPointer(start: p, count: 4 * n)
        }
        return out
    }

    /// Restores what `stateBytes()` saved into a store of the same shape. Gradients are zeroed.
    public func restore(from bytes: [UInt8]) throws(ParameterStoreError) {
        let expected = 32 + 4 * (3 * parameterCount + bufferCount)
        guard bytes.count >= 32 else { throw .truncated(bytes: bytes.count, expected: expected) }
        let header: [UInt64] = bytes.withUnsafeBytes { raw in
            (0..<4).map { UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self)) }
        }
        guard header[0] == Self.magic else { throw .badMagic }
        guard header[1] == UInt64(parameterCount), header[2] == UInt64(bufferCount) else {
            throw .sizeMismatch(expected: "\(parameterCount) parameters, \(bufferCount) buffer floats",
                                found: "\(header[1]) parameters, \(header[2]) buffer floats")
        }
        guard bytes.count == expected else { throw .truncated(bytes: bytes.count, expected: expected) }
        step = Int(header[3])
        bytes.withUnsafeBytes { raw in
            var at = 32
            for (p, n) in [(parameters, parameterCount), (firstMoment, parameterCount),
                           (secondMoment, parameterCount), (buffers, bufferCount)] {
                UnsafeMutableRawBufferPointer(start: p, count: 4 * n)
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[at..<(at + 4 * n)]))
                at += 4 * n
            }
        }
        zeroGradients()
    }
}
