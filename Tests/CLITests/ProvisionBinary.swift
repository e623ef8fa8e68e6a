import Foundation
import TestSupport

/// Runs the built `provision` executable, as users do, for exit-code and output tests.
enum ProvisionBinary {
    static var url: URL { ProvisionExecutable.url }

    typealias Result = ChildProcess.Result

    /// Runs `provision` with `arguments` in `directory` and waits for it.
    static func run(_ arguments: [String], in directory: URL? = nil,
                    environment: [String: String]? = nil) throws -> Result {
        try ChildProcess.run(url.path, arguments, directory: directory?.path, environment: environment ?? [:])
    }

    /// The JSON events a `--json` station printed, in order; `named` keeps one kind of event.
    static func events(_ stdout: String, named: String? = nil) -> [[String: Any]] {
        stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.filter { named == nil || $0["event"] as? String == named }
    }

    /// Each slot label's (last) verdict event.
    static func verdictsByLabel(_ stdout: String) -> [String: [String: Any]] {
        Dictionary(events(stdout, named: "verdict").map { ($0["label"] as? String ?? "", $0) },
                   uniquingKeysWith: { _, last in last })
    }

    /// A fresh temporary folder for one test.
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("provision-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
