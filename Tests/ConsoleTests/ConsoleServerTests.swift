import AsyncHTTPClient
import Console
import Firmware
import Foundation
import NIOCore
import NIOHTTP1
import Station
import Testing

/// The console's HTTP surface on 127.0.0.1: viewing is open, actions need the token, and the
/// live stream starts with a reconnect delay and a full snapshot.
@Suite(.serialized) struct ConsoleServerTests {
    struct Answer {
        let status: UInt
        let body: String
        let contentType: String?
    }

    private func request(_ method: HTTPMethod, _ url: String, token: String? = nil, body: String? = nil,
                         readUpTo: Int = 1 << 20) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        var collected = ""
        for try await chunk in response.body {
            collected += String(buffer: chunk)
            if collected.utf8.count >= readUpTo || (readUpTo < 1 << 20 && collected.contains("\n\n") && collected.contains("snapshot")) { break }
        }
        return Answer(status: response.status.code, body: collected,
                      contentType: response.headers.first(name: "Content-Type"))
    }

    private func console(token: String?, controls: StationControls) async throws -> (ConsoleServer, String) {
        let state = ConsoleState(title: "test", station: "s1", actions: token != nil)
        await state.apply(StationEvent(slotPath: "99-1", slotLabel: "slot1", runID: "r1", kind: .runStarted))
        let server = ConsoleServer(state: state, listen: HostPort(host: "127.0.0.1", port: 0), token: token,
                                   actions: controls, storeURL: nil)
        let port = try await server.start()
        return (server, "http://127.0.0.1:\(port)")
    }

    @Test func actionsWithoutTheTokenAre401AndChangeNothing() async throws {
        let controls = StationControls()
        let (server, base) = try await console(token: "s3cret", controls: controls)
        let hold = #"{"slot":"99-1"}"#
        #expect(try await request(.POST, base + "/api/hold", body: hold).status == 401)
        #expect(try await request(.POST, base + "/api/hold", token: "wrong", body: hold).status == 401)
        #expect(try await request(.POST, base + "/api/stop").status == 401)
        #expect(try await request(.POST, base + "/api/label", body: #"{"slot":"99-1","label":"SN1"}"#).status == 401)
        #expect(await controls.isHeld(slot: "99-1") == false)
        #expect(controls.isTakingBoards)
        #expect(await controls.scannedLabel(slot: "99-1") == nil)

        #expect(try await request(.POST, base + "/api/hold", token: "s3cret", body: hold).status == 200)
        #expect(await controls.isHeld(slot: "99-1"))
        #expect(try await request(.POST, base + "/api/label", token: "s3cret",
                                  body: #"{"slot":"99-1","label":"SN-77"}"#).status == 200)
        #expect(await controls.scannedLabel(slot: "99-1") == "SN-77")
        #expect(try await request(.POST, base + "/api/hold", token: "s3cret", body: #"{"slot":"99-9"}"#).status == 404)
        #expect(try await request(.POST, base + "/api/label", token: "s3cret",
                                  body: #"{"slot":"99-1","label":""}"#).status == 400)
        #expect(try await request(.POST, base + "/api/release", token: "s3cret", body: hold).status == 200)
        #expect(await controls.isHeld(slot: "99-1") == false)
        #expect(try await request(.POST, base + "/api/stop", token: "s3cret").status == 200)
        #expect(controls.isTakingBoards == false)

        let snapshot = try await request(.GET, base + "/api/snapshot")
        #expect(snapshot.status == 200, "viewing needs no token")
        #expect(snapshot.body.contains(#""scannedLabel":"SN-77""#))
        _ = await server.stop()
    }

    @Test func aConsoleWithoutATokenHasNoActions() async throws {
        let controls = StationControls()
        let (server, base) = try await console(token: nil, controls: controls)
        #expect(try await request(.POST, base + "/api/hold", token: "anything", body: #"{"slot":"99-1"}"#).status == 403)
        #expect(await controls.isHeld(slot: "99-1") == false)
        let page = try await request(.GET, base + "/")
        #expect(page.status == 200 && page.body.contains("<script src=\"/console.js\">"))
        #expect(try await request(.GET, base + "/console.js").body.contains("new EventSource(\"/events\")"))
        _ = await server.stop()
    }

    @Test func theEventStreamStartsWithRetryAndASnapshot() async throws {
        let (server, base) = try await console(token: nil, controls: StationControls())
        let stream = try await request(.GET, base + "/events", readUpTo: 64 * 1024)
        #expect(stream.contentType == "text/event-stream")
        #expect(stream.body.hasPrefix("retry: "))
        #expect(stream.body.contains("event: snapshot\ndata: {"))
        #expect(stream.body.contains(#""slot":"99-1""#))
        _ = await server.stop()
    }
}
