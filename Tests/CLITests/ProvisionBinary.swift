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

    /// A fresh temporary folder for one test.
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("provision-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
