import Foundation
import Sweep

/// A spec parsed from YAML text, as if read from `file` in the temporary directory (relative
/// paths in it resolve there): the set-up every spec and search test starts from.
func parse(_ yaml: String, file: String = "t.yaml") throws -> SweepSpec {
    try SweepSpec.parse(text: yaml, file: file, baseDirectory: URL(fileURLWithPath: NSTemporaryDirectory()))
}
