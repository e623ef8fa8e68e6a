import Firmware
import Foundation
import LittleFS
import LuaImage
import Records
import Station
import Testing
import TestSupport
import Vocabulary

/// Each board's own data: typed fskv values and LittleFS files, merged into what the board holds,
/// checked by the reference littlefs, and read back by an app on a simulated line.
@Suite struct BoardDataWriteTests {
    static let layout = BoardDataLayout(
        fskv: [.init(key: "device_key", column: "device_key", type: .string),
               .init(key: "count", column: "count", type: .integer),
               .init(key: "cfg", column: "cfg", type: .table)],
        files: [.init(path: "/certs/device.pem", column: "cert")])

    private func folderWithCert(_ text: String) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bd-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: folder + "/dev1.pem"))
        return folder
    }

    private func rewrite(_ write: BoardDataWrite, _ name: String, over current: [UInt8]) throws -> [UInt8] {
        let rewrite = try #require(write.rewrites.first { $0.name == name })
        return try rewrite.build(current)
    }

    @Test(.enabled(if: Oracle.available, Oracle.skipReason))
    func theReferenceLittlefsReadsTheStationsWriteAndThePlatformsFilesSurvive() throws {
        let folder = try folderWithCert("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let write = try BoardDataWrite(row: ["device_key": "dk-0001", "count": "42", "cfg": "{\"apn\":\"cmnet\"}",
                                             "cert": "dev1.pem"],
                                       source: "pool:keys row 1", layout: Self.layout, filesFolder: folder)
        // The board's LittleFS as the platform left it: its own NVM files, and an old cert.
        let platform: [(String, [UInt8])] = [("/plat_config", Array(repeating: 0x5A, count: 900)),
                                             ("/cemm1.nvm", Array(repeating: 0x11, count: 5000)),
                                             ("/certs/device.pem", Array("old".utf8))]
        let board = try Oracle.make(geometry: .ec618Main, dirs: ["/certs"], files: platform)
        let main = try Oracle.dump(try rewrite(write, "littlefs", over: board), geometry: .ec618Main)
        #expect(main.files["/plat_config"] == platform[0].1)
        #expect(main.files["/cemm1.nvm"] == platform[1].1)
        #expect(main.files["/certs/device.pem"] == Array("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".utf8))

        // A blank fskv region (a new board), and one where an app already stored a key.
        let blank = [UInt8](repeating: 0xFF, count: LittleFSGeometry.ec618FSKV.regionSize)
        let fresh = try Oracle.dump(try rewrite(write, "fskv", over: blank), geometry: .ec618FSKV)
        #expect(fresh.files["/device_key"] == [4] + Array("dk-0001".utf8), "type byte 4 (string), then the bytes")
        #expect(fresh.files["/count"] == [21, 42, 0, 0, 0, 0, 0, 0, 0], "type byte 21 (integer), little-endian")
        #expect(fresh.files["/cfg"] == [5] + Array("{\"apn\":\"cmnet\"}".utf8))
        let used = try Oracle.make(geometry: .ec618FSKV, files: [("/boots", [21, 7, 0, 0, 0, 0, 0, 0, 0]),
                                                                   ("/device_key", [4] + Array("stale".utf8))])
        let merged = try Oracle.dump(try rewrite(write, "fskv", over: used), geometry: .ec618FSKV)
        #expect(merged.files["/boots"] == [21, 7, 0, 0, 0, 0, 0, 0, 0], "the app's own key stays")
        #expect(merged.files["/device_key"] == [4] + Array("dk-0001".utf8), "ours replaces the stale one")
    }

    @Test func aDamagedFileSystemIsNotWrittenOverButADamagedFSKVIsStartedAfresh() throws {
        let folder = try folderWithCert("c")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let write = try BoardDataWrite(row: ["device_key": "k", "count": "1", "cfg": "[]", "cert": "dev1.pem"],
                                       source: "row", layout: Self.layout, filesFolder: folder)
        let garbage = (0..<LittleFSGeometry.ec618Main.regionSize).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        #expect(throws: BoardDataRegionError.self) { try rewrite(write, "littlefs", over: garbage) }
        let fskvGarbage = Array(garbage.prefix(LittleFSGeometry.ec618FSKV.regionSize))
        let values = try FSKVImage.values(in: try rewrite(write, "fskv", over: fskvGarbage))
        #expect(values["device_key"] == .string("k"))
    }

    @Test(arguments: [
        (["device_key": "k", "count": "12x", "cfg": "{}", "cert": "dev1.pem"], "column count is not a Lua integer"),
        (["device_key": "k", "count": "99999999999", "cfg": "{}", "cert": "dev1.pem"], "fskv key count"),
        (["device_key": "k", "count": "1", "cfg": "nope", "cert": "dev1.pem"], "column cfg is not a Lua table"),
        (["count": "1", "cfg": "{}", "cert": "dev1.pem"], "no column device_key"),
        (["device_key": "k", "count": "1", "cfg": "{}", "cert": "missing.pem"], "cannot read"),
        (["device_key": String(repeating: "x", count: 5000), "count": "1", "cfg": "{}", "cert": "dev1.pem"], "fskv key device_key"),
    ])
    func aRowThatCannotBeWrittenFailsTheBoardNamingTheColumn(row: [String: String], says: String) throws {
        let folder = try folderWithCert("c")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let failure = try #require(throws: StepFailure.self) {
            try BoardDataWrite(row: row, source: "pool:keys row 9", layout: Self.layout, filesFolder: folder)
        }
        #expect(failure.failureClass == .boardDataFailed)
        #expect(failure.detail.hasPrefix("pool:keys row 9: "))
        #expect(failure.detail.contains(says), "\(failure.detail)")
    }
}
