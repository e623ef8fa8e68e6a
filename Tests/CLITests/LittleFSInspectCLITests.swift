import Foundation
import LittleFS
import Testing

/// `provision sim make-fskv` and `provision inspect` of littlefs images.
@Suite struct LittleFSInspectCLITests {
    @Test func fskvImageIsListedWithTypesAndValues() async throws {
        let folder = try ProvisionBinary.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let image = folder.appendingPathComponent("fskv.bin").path
        let made = try await ProvisionBinary.run(["sim", "make-fskv", image, "--set", "device_id=string:A1B2",
                                            "--set", "retries=integer:3", "--set", "cfg=table:{\"x\":1}",
                                            "--set", "on=boolean:true", "--set", "gain=number:0.5"])
        try #require(made.status == 0, "make-fskv: \(made.stderr)")
        let text = try await ProvisionBinary.run(["inspect", image])
        #expect(text.status == 0, "stderr: \(text.stderr)")
        for needle in ["littlefs 2.1", "16 blocks of 4096", "fskv: 5 keys", "device_id", "\"A1B2\"", "retries", "integer",
                       "{\"x\":1}", "boolean", "0.5"] {
            #expect(text.stdout.contains(needle), "missing \(needle) in \(text.stdout)")
        }
        let json = try await ProvisionBinary.run(["inspect", image, "--json"])
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(doc["format"] as? String == "littlefs")
        let keys = try #require(doc["fskv"] as? [[String: Any]])
        let retries = try #require(keys.first { $0["key"] as? String == "retries" })
        #expect(retries["luaType"] as? String == "integer")
        #expect(retries["value"] as? String == "3")
        #expect(retries["size"] as? Int == 9)
    }

    @Test func mainRegionImageListsPathsAndSizes() async throws {
        let folder = try ProvisionBinary.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var image = try LittleFSImage(geometry: .ec618Main)
        try image.addFile("/certs/device.pem", contents: [UInt8](repeating: 0x41, count: 5000))
        try image.addFile("/cfg.json", contents: Array("{}".utf8))
        let path = folder.appendingPathComponent("fs.bin").path
        try Data(try image.bytes()).write(to: URL(fileURLWithPath: path))
        let result = try await ProvisionBinary.run(["inspect", path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        for needle in ["72 blocks", "/certs/device.pem", "5000", "ctz", "/cfg.json", "inline", "/certs/"] {
            #expect(result.stdout.contains(needle), "missing \(needle) in \(result.stdout)")
        }
        #expect(!result.stdout.contains("fskv"))
    }

    @Test func corruptImageAndBadKeyAreInputErrors() async throws {
        let folder = try ProvisionBinary.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let image = folder.appendingPathComponent("fskv.bin").path
        try #require(try await ProvisionBinary.run(["sim", "make-fskv", image, "--set", "k=string:v"]).status == 0)
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: image)))
        bytes[50] ^= 0xFF  // inside the only commit of the root pair
        try Data(bytes).write(to: URL(fileURLWithPath: image))
        let result = try await ProvisionBinary.run(["inspect", image])
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains(image) && lines[0].contains("CRC"), "stderr: \(result.stderr)")

        let badKey = try await ProvisionBinary.run(["sim", "make-fskv", folder.appendingPathComponent("x.bin").path,
                                              "--set", String(repeating: "k", count: 64) + "=string:v"])
        #expect(badKey.status == 2)
        #expect(badKey.stderr.contains("more than 63"), "stderr: \(badKey.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("x.bin").path))
    }
}
