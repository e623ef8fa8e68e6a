import Firmware
import Foundation

/// Synthetic packages shared by the Firmware tests (generated once per process).
enum Fixtures {
    static let small: [UInt8] = { try! SyntheticSoc().make() }()

    static func soc(_ configure: (inout SyntheticSoc) -> Void) throws -> [UInt8] {
        var soc = SyntheticSoc()
        configure(&soc)
        return try soc.make()
    }

    /// A package whose members are `members` (for damaged-content cases).
    static func archive(_ members: [ArchiveMember], format: ArchiveFormat = .sevenZip) throws -> [UInt8] {
        try ArchiveWriter.write(members, format: format)
    }

    /// The default members with one replaced (or removed when `bytes` is nil).
    static func members(replacing name: String, with bytes: [UInt8]?) -> [ArchiveMember] {
        SyntheticSoc().members().compactMap { m in
            guard m.name == name else { return m }
            return bytes.map { ArchiveMember(name: name, bytes: $0) }
        }
    }

    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fw-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
