import Foundation
import Sweep
import Testing

@Suite struct TextTableTests {
    let table = TextTable(columns: ["name", "n", "x"], rows: [
        [.text("a,b"), .int(3), .number(0.1 + 0.2)],
        [.text("say \"hi\""), .null, .number(1e-5)],
    ])

    @Test func csvQuotesAndKeepsFullPrecision() {
        #expect(table.render(.csv) == "name,n,x\n\"a,b\",3,0.30000000000000004\n\"say \"\"hi\"\"\",,1e-05\n")
    }

    @Test func jsonKeepsTypesAndNulls() throws {
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(table.render(.json).utf8)) as? [[String: Any]])
        #expect(rows[0]["n"] as? Int == 3)
        #expect(rows[1]["n"] is NSNull)
        // Exact digits (the shortest form that reads back as the same double).
        #expect(table.render(.json).contains("\"x\": 0.30000000000000004"))
        #expect(table.render(.json).contains("\"name\": \"say \\\"hi\\\"\""))
    }

    @Test func alignedTableShowsShortNumbers() {
        #expect(table.render(.table) == "name      n  x\na,b       3  0.3\nsay \"hi\"     1e-05\n")
    }
}
