import Foundation
import Testing

/// The package's walls, read from the sources: the orchestrator imports neither the trainer
/// nor the numeric core (a trial is a process; the two share the TrialProtocol target), the
/// trainer never imports the orchestrator, and the numeric core knows no physics.
@Suite struct ArchitectureTests {
    static func imports(of target: String) throws -> Set<String> {
        let dir = Repo.root.appendingPathComponent("Sources/\(target)")
        let files = try FileManager.default.subpathsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".swift") }
        var found = Set<String>()
        for file in files {
            let text = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") where line.hasPrefix("import ") || line.hasPrefix("@_exported import ") {
                found.insert(String(line.split(separator: " ").last!))
            }
        }
        return found
    }

    @Test func orchestratorImportsNeitherTheTrainerNorTheNumericCore() throws {
        let sweep = try Self.imports(of: "Sweep")
        #expect(sweep.isDisjoint(with: ["GAN", "NN", "Tensor", "Calo", "Metrics", "CBLAS"]), "Sweep imports \(sweep.sorted())")
        #expect(sweep.contains("TrialProtocol"))
    }

    @Test func trainerDoesNotImportTheOrchestrator() throws {
        for target in ["GAN", "Metrics", "Calo", "NN", "Tensor", "TrialProtocol", "CaloFormat", "UserErrors", "DurableFiles"] {
            #expect(!(try Self.imports(of: target)).contains("Sweep"), "\(target) imports Sweep")
        }
    }

    @Test func numericCoreKnowsNoPhysicsAndLeavesStayLeaves() throws {
        for target in ["Tensor", "NN"] {
            let found = try Self.imports(of: target)
            #expect(found.isDisjoint(with: ["Calo", "CaloFormat", "Metrics", "GAN", "TrialProtocol"]), "\(target) imports \(found.sorted())")
        }
        #expect(try Self.imports(of: "TrialProtocol").isSubset(of: ["Foundation", "Yams", "UserErrors"]))
        #expect(try Self.imports(of: "UserErrors").isEmpty)
    }
}
