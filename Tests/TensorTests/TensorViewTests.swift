import Testing
import Tensor

@Suite struct TensorViewTests {
    @Test func viewsShareStorageWithoutCopy() {
        let t = Tensor(n: 4, c: 2, h: 3, w: 3)
        t.copy(from: (0..<72).map(Float.init))
        let flat = t.flattened()
        #expect(flat.c == 18 && flat.h == 1 && flat.n == 4 && flat.data == t.data)
        let tail = t.samples(2..<4)
        #expect(tail.n == 2 && tail.data[0] == 36 && tail.toArray() == (36..<72).map(Float.init))
        #expect(t.withBatch(1).count == 18)
    }
}
