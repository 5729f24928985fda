import Testing
import Foundation
import Tensor
import NN

/// Adam against the closed form with bias correction, computed in Double:
///   m_t = β1 m_{t−1} + (1−β1) g_t,  v_t = β2 v_{t−1} + (1−β2) g_t²,
///   p_t = p_{t−1} − lr · (m_t/(1−β1ᵗ)) / (√(v_t/(1−β2ᵗ)) + ε).
@Suite struct AdamTests {
    @Test(arguments: [(Float(0.9), Float(0.999)), (0, 0.99)]) func twoStepsMatchClosedForm(_ betas: (Float, Float)) {
        let (b1, b2) = betas
        let adam = Adam(learningRate: 1e-2, beta1: b1, beta2: b2, epsilon: 1e-8)
        let store = ParameterStore()
        let slice = store.allocateParameters(5)
        let p0: [Float] = [0.5, -1.2, 3, 0, 1e-3]
        let g1: [Float] = [0.1, -2, 1e-4, 0, 5], g2: [Float] = [-0.3, 1, 2e-4, 1e-6, 5]
        for i in 0..<5 { store.values(slice)[i] = p0[i] }
        var p = p0.map(Double.init), m = [Double](repeating: 0, count: 5), v = m
        for (t, g) in [g1, g2].enumerated() {
            store.zeroGradients()
            for i in 0..<5 { store.gradient(slice)[i] = g[i] }
            adam.step(store)
            let step = Double(t + 1), lr = 1e-2, e1 = Double(b1), e2 = Double(b2)
            for i in 0..<5 {
                m[i] = e1 * m[i] + (1 - e1) * Double(g[i])
                v[i] = e2 * v[i] + (1 - e2) * Double(g[i]) * Double(g[i])
                p[i] -= lr * (m[i] / (1 - pow(e1, step))) / ((v[i] / (1 - pow(e2, step))).squareRoot() + 1e-8)
                let got = Double(store.values(slice)[i])
                #expect(abs(got - p[i]) < 1e-6 * max(1, abs(p[i])), "step \(t + 1) param \(i): \(got) vs \(p[i])")
            }
        }
        #expect(store.step == 2)
    }

    @Test func frozenRangeDoesNotMove() {
        let store = ParameterStore()
        let a = store.allocateParameters(3), k = store.allocateParameters(2), b = store.allocateParameters(2)
        for i in 0..<store.parameterCount { store.parameters[i] = 1; store.gradients[i] = 1 }
        store.setTrainable(k, false)
        #expect(store.trainableRanges == [0..<3, 5..<7])
        Adam(learningRate: 0.1).step(store)
        #expect(store.values(k)[0] == 1 && store.values(k)[1] == 1)
        #expect(abs(store.values(a)[0] - 0.9) < 1e-6 && abs(store.values(b)[1] - 0.9) < 1e-6)
        store.setTrainable(k, true)
        #expect(store.trainableRanges == [0..<7])
    }
}

@Suite struct ParameterStoreTests {
    /// A checkpoint restores parameters, Adam moments, step and SN vectors exactly, so training
    /// continues bit-identically.
    @Test func stateRoundTripResumesIdentically() throws {
        func network(_ store: ParameterStore) -> Linear {
            var rng = SeededRandom(seed: 5)
            return Linear(6, 4, maxBatch: 3, store: store, rng: &rng, spectralNorm: true)
        }
        func trainStep(_ layer: inout Linear, _ store: ParameterStore) {
            let x = Tensor(n: 3, c: 6)
            for i in 0..<x.count { x.data[i] = Float(i % 5) - 2 }
            store.zeroGradients()
            let y = layer.forward(x, mode: .training)
            _ = layer.backward(y)   // L = ½‖y‖²
            Adam(learningRate: 0.01).step(store)
        }
        let store = ParameterStore()
        var layer = network(store)
        trainStep(&layer, store)
        let saved = store.stateBytes()
        trainStep(&layer, store); trainStep(&layer, store)
        let expected = Array(UnsafeBufferPointer(start: store.parameters, count: store.parameterCount))
        let expectedU = Array(UnsafeBufferPointer(start: store.buffers, count: store.bufferCount))

        let other = ParameterStore()
        var resumed = network(other)
        try other.restore(from: saved)
        #expect(other.step == 1)
        trainStep(&resumed, other); trainStep(&resumed, other)
        #expect(Array(UnsafeBufferPointer(start: other.parameters, count: other.parameterCount)) == expected)
        #expect(Array(UnsafeBufferPointer(start: other.buffers, count: other.bufferCount)) == expectedU)
    }

    @Test func restoreRejectsWrongShapeAndTruncation() {
        let a = ParameterStore(); _ = a.allocateParameters(4)
        let b = ParameterStore(); _ = b.allocateParameters(5)
        #expect(throws: ParameterStoreError.self) { try b.restore(from: a.stateBytes()) }
        #expect(throws: ParameterStoreError.truncated(bytes: 40, expected: 80)) {
            try a.restore(from: Array(a.stateBytes()[0..<40]))
        }
        #expect(throws: ParameterStoreError.badMagic) { try a.restore(from: [UInt8](repeating: 0, count: 80)) }
    }
}
