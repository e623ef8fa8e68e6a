import Deflate
import Foundation
import TestSupport
import Testing

/// The vendor tutorial's examples (`examples/tutorial/`), each its own app, flashed on a
/// simulated board whose names (`www.air32.cn`, `httpbin.air32.cn`, …) `--sim-host` maps to
/// echo servers this test starts on 127.0.0.1, and signed off by the app's own log lines
/// through the `app_log` flow.
@Suite(.serialized) struct TutorialExamplesCLITests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The tutorial's plain-http hosts.
    static func plainServer() throws -> ScriptedServer {
        try ScriptedServer { seen in
            let body: String
            switch seen.path {
            case "/post": body = #"{"form":"received"}"#
            case "/uploadFileToStatic": body = #"{"code":0,"msg":"stored"}"#
            case "/api/httptest/simple/date": body = "2026-12-02"
            case "/api/httptest/simple/time": body = "12:00:00"
            default: return [.send(ScriptedServer.answer(404, "Not Found", body: [])), .close]
            }
            return [.send(ScriptedServer.answer(200, "OK", body: Array(body.utf8), headers: ["Content-Type: application/json"])), .close]
        }
    }

    /// The tutorial's https hosts (the examples pass no CA, so the board does not verify).
    static func secureServer() throws -> ScriptedServer {
        let identity = try TestCertificate.make(sans: [.dns("www.air32.cn")])
        let weather = Array(#"{"code":"200","now":{"text":"Sunny","temp":"21"}}"#.utf8)
        let gzip = Zlib.deflate(weather, windowBits: Zlib.gzipWindowBits) ?? []
        return try ScriptedServer(tls: identity) { seen in
            if seen.path.hasPrefix("/v7/weather/now") {
                return [.send(ScriptedServer.answer(200, "OK", body: gzip, headers: ["Content-Encoding: gzip"])), .close]
            }
            return [.send(ScriptedServer.answer(200, "OK", body: Array("<html>air32</html>".utf8))), .close]
        }
    }

    /// A profile whose flow flashes the app and judges it by its log, with `example`'s expectations.
    static func profile(for example: String, in folder: URL, appLogMs: Int = 20000) throws -> String {
        let expectations = try String(contentsOf: repository.appendingPathComponent("examples/tutorial/\(example)/app-log.json"),
                                      encoding: .utf8)
        return try ProvisionBinary.appLogProfile(in: folder, expectations: expectations, appLogMs: appLogMs)
    }

    @Test(arguments: ["get", "post-form", "upload", "download", "gzip"])
    func theTutorialExampleRunsAndIsSignedOffByItsOwnLog(example: String) async throws {
        let plain = try Self.plainServer(), secure = try Self.secureServer()
        let (folder, soc, _) = try ProvisionBinary.stationLine(app: "log.info('unused')\n")
        defer { try? FileManager.default.removeItem(at: folder) }
        let profile = try Self.profile(for: example, in: folder)
        let exampleFolder = Self.repository.appendingPathComponent("examples/tutorial/\(example)")
        let scripts = try FileManager.default.contentsOfDirectory(atPath: exampleFolder.path)
            .filter { $0.hasSuffix(".lua") || $0.hasSuffix(".txt") }.sorted { ($0 == "main.lua" ? 0 : 1, $0) < ($1 == "main.lua" ? 0 : 1, $1) }
            .map { exampleFolder.appendingPathComponent($0).path }
        let hosts = ["www.air32.cn", "www.luatos.com", "devapi.qweather.com"].map { "\($0)=127.0.0.1:\(secure.port)" }
            + ["httpbin.air32.cn", "airtest.openluat.com", "site0.cn"].map { "\($0)=127.0.0.1:\(plain.port)" }
        let result = try await ProvisionBinary.run(["--soc", soc] + scripts + [
            "--profile", profile, "--simulate", "1", "--count", "1",
            "--db", "sqlite:" + folder.appendingPathComponent("r.sqlite").path, "--batch", "tutorial-\(example)", "--json",
        ] + hosts.flatMap { ["--sim-host", $0] })
        let verdict = ProvisionBinary.verdictsByLabel(result.stdout).values.first
        #expect(result.status == 0, "\(example): \(result.stderr)\n\(result.stdout.suffix(3000))")
        #expect(verdict?["status"] as? String == "pass", "\(example): \(String(describing: verdict))")
        // The board's traffic went to the echo servers, named as the tutorial names them.
        #expect(!(plain.seen + secure.seen).isEmpty)
    }

    @Test func withoutItsHostMappedTheExampleFailsItsOwnLogCheck() async throws {
        let (folder, soc, _) = try ProvisionBinary.stationLine(app: "log.info('unused')\n")
        defer { try? FileManager.default.removeItem(at: folder) }
        let profile = try Self.profile(for: "post-form", in: folder, appLogMs: 3000)
        let app = Self.repository.appendingPathComponent("examples/tutorial/post-form/main.lua").path
        let result = try await ProvisionBinary.run(["--soc", soc, app, "--profile", profile, "--simulate", "1", "--count", "1",
                                              "--db", "sqlite:" + folder.appendingPathComponent("r.sqlite").path, "--json"])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(ProvisionBinary.verdictsByLabel(result.stdout).values.first?["status"] as? String == "fail")
    }

    @Test func aSimHostOffThisMachineIsRefusedBeforeAnyBoard() async throws {
        let (folder, soc, app) = try ProvisionBinary.stationLine(app: "log.info('unused')\n")
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try await ProvisionBinary.run(["--soc", soc, app, "--simulate", "1", "--sim-host", "www.air32.cn=192.0.2.10:80"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--sim-host") && result.stderr.contains("only reach this machine"), "\(result.stderr)")
    }
}
