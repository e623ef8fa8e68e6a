import Firmware
import Testing

/// The profile's `[provisioning]` table: a good one is read, every malformed entry is refused
/// naming its key.
@Suite struct BoardDataLayoutTests {
    private func profile(_ table: String) throws -> Profile {
        try Profile(toml: ProfileTests.shipped + "\n[provisioning]\n" + table + "\n", source: "p.toml")
    }

    @Test func aLayoutIsReadWithItsTypesAndFiles() throws {
        let layout = try profile("""
            key_column = "iccid"
            fskv = [{ key = "device_key", column = "dk" }, { key = "port", column = "p", type = "integer" }]
            files = [{ path = "/certs/device.pem", column = "cert" }]
            """).boardData
        #expect(layout.keyColumn == "iccid")
        #expect(layout.fskv == [.init(key: "device_key", column: "dk", type: .string),
                                .init(key: "port", column: "p", type: .integer)])
        #expect(layout.files == [.init(path: "/certs/device.pem", column: "cert")])
        #expect(layout.columns == ["dk", "p", "cert"])
        #expect(try Profile(toml: ProfileTests.shipped, source: "s.toml").boardData.isEmpty)
    }

    @Test(arguments: [
        ("key_column = \"serial\"", "provisioning.key_column \"serial\""),
        ("fskv = [{ key = \"a/b\", column = \"c\" }]", "provisioning.fskv[0].key"),
        ("fskv = [{ key = \"\(String(repeating: "k", count: 64))\", column = \"c\" }]", "provisioning.fskv[0].key"),
        ("fskv = [{ key = \"k\", column = \"c\" }, { key = \"k\", column = \"d\" }]", "provisioning.fskv[1].key \"k\" is listed twice"),
        ("fskv = [{ key = \"k\", column = \"\" }]", "provisioning.fskv[0].column is empty"),
        ("fskv = [{ key = \"k\", column = \"c\", type = \"userdata\" }]", "provisioning.fskv[0].type \"userdata\""),
        ("files = [{ path = \"cert.pem\", column = \"c\" }]", "provisioning.files[0].path \"cert.pem\""),
        ("files = [{ path = \"/a/../b\", column = \"c\" }]", "provisioning.files[0].path"),
        ("files = [{ path = \"/a\", column = \"c\" }, { path = \"/a\", column = \"d\" }]", "provisioning.files[1].path \"/a\" is listed twice"),
        ("fskv = [{ key = \"k\", column = \"c\", typo = 1 }]", "typo"),
    ])
    func aMalformedEntryIsRefusedNamingItsKey(change: (String, String)) throws {
        let e = try #require(throws: FirmwareError.self) { try profile(change.0) }
        #expect(e.file == "p.toml")
        #expect(e.reason.contains(change.1), "\(e.reason)")
    }
}
