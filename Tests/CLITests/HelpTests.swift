import Testing
import Foundation

@Suite struct HelpTests {
    @Test func helpListsTheTool() throws {
        let r = try Binary.run(["--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("lipsweep"))
    }

    @Test func unknownSubcommandIsAUsageError() throws {
        let r = try Binary.run(["no-such-command"])
        #expect(r.status == 2)
        #expect(!r.stderr.isEmpty)
    }
}
