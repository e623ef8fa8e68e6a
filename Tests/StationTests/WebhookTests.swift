import Foundation
import Hummingbird
import Logging
import Records
import Station
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
import Vocabulary
#endif

/// The webhook against a real HTTP server on 127.0.0.1: records arrive in order with the right
/// fields, 5xx answers are retried, an unreachable collector ends in one counted failure within
/// the timeout, and a bad URL is refused up front.
@Suite struct WebhookTests {
    private static func record(_ n: Int, status: RunStatus = .pass) -> BoardRecordPayload {
        BoardRecordPayload(
            runID: "run-\(n)", batch: "b7", stationID: "line3-st2", slot: "1-1.\(n)", slotLabel: "A\(n)",
            status: status, failureClass: status == .fail ? .noNetworkAttach : nil,
            failurePhase: status == .fail ? "qa" : nil, detail: status == .fail ? "the board never attached" : nil,
            imei: "86201106000\(n)", iccid: "8986002210000\(n)", firmwareSHA256: String(repeating: "a", count: 64),
            scriptSHA256: String(repeating: "b", count: 64),
            startedAt: Date(timeIntervalSince1970: 1_800_000_000.125), endedAt: Date(timeIntervalSince1970: 1_800_000_006.5),
            phases: [.init(name: "flash_full", seconds: 3.25, outcome: "ok"),
                     .init(name: "qa", seconds: 1.5, outcome: status == .fail ? "fail" : "ok")])
    }

    @Test func bodyHasSnakeCaseKeysNullsAndMillisecondTimes() throws {
        let body = try WebhookPoster.body(Self.record(1))
        let text = String(decoding: body, as: UTF8.self)
        #expect(text.hasPrefix("{\"batch\":\"b7\",\"board_data_row\":null,\"board_data_source\":null,\"detail\":null,"
                               + "\"ended_at\":\"2027-01-15T08:00:06.500Z\""))
        let json = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        #expect(Set(json.keys) == ["run_id", "batch", "station_id", "slot", "slot_label", "status", "failure_class",
                                   "failure_phase", "detail", "imei", "iccid", "firmware_sha256", "script_sha256",
                                   "started_at", "ended_at", "phases", "board_data_source", "board_data_row",
                                   "gates", "rework_of"])
        #expect(json["started_at"] as? String == "2027-01-15T08:00:00.125Z")
        #expect(json["failure_class"] is NSNull)
        let phases = try #require(json["phases"] as? [[String: Any]])
        #expect(phases.map { $0["name"] as? String } == ["flash_full", "qa"])
        #expect(phases.first?["seconds"] as? Double == 3.25)
        #expect(phases.first?["outcome"] as? String == "ok")
    }

    @Test func recordsArriveInOrderWithTheirFields() async throws {
        let server = try await HookServer.start(answers: [])
        let poster = try WebhookPoster(url: "http://127.0.0.1:\(server.port)/hook")
        await poster.post(Self.record(1))
        await poster.post(Self.record(2, status: .fail))
        await poster.post(Self.record(3))
        #expect(await poster.drain(timeout: .seconds(60)))
        #expect(await poster.delivered == 3)
        #expect(await poster.failures.isEmpty)
        await poster.shutdown()
        let bodies = await server.recorder.bodies
        await server.stop()

        let json = try bodies.map { try #require(try JSONSerialization.jsonObject(with: $0) as? [String: Any]) }
        try #require(json.count == 3)
        #expect(json.map { $0["run_id"] as? String } == ["run-1", "run-2", "run-3"])
        #expect(json.map { $0["status"] as? String } == ["pass", "fail", "pass"])
        #expect(json[1]["failure_class"] as? String == "no_network_attach")
        #expect(json[1]["failure_phase"] as? String == "qa")
        #expect(json[1]["slot"] as? String == "1-1.2")
        #expect(json[1]["slot_label"] as? String == "A2")
        #expect(json[1]["station_id"] as? String == "line3-st2")
        #expect(json[2]["imei"] as? String == "862011060003")
        #expect(await server.recorder.contentTypes.allSatisfy { $0 == "application/json" })
    }

    @Test func serverErrorsAreRetriedUntilDelivered() async throws {
        let server = try await HookServer.start(answers: [500, 503])
        let poster = try WebhookPoster(url: "http://127.0.0.1:\(server.port)/hook", attempts: 3)
        let start = ContinuousClock.now
        await poster.post(Self.record(1))
        #expect(await poster.drain(timeout: .seconds(60)))
        let elapsed = ContinuousClock.now - start
        #expect(await poster.delivered == 1)
        #expect(await poster.failures.isEmpty)
        await poster.shutdown()
        let answered = await server.recorder.answered
        await server.stop()
        #expect(answered == [500, 503, 200], "two 5xx answers, then delivered once")
        #expect(elapsed >= .milliseconds(500), "backoff of 100 ms then 400 ms: \(elapsed)")
    }

    @Test func clientErrorIsNotRetried() async throws {
        let server = try await HookServer.start(answers: [422])
        let poster = try WebhookPoster(url: "http://127.0.0.1:\(server.port)/hook", attempts: 3)
        await poster.post(Self.record(1))
        #expect(await poster.drain(timeout: .seconds(60)))
        let failures = await poster.failures
        await poster.shutdown()
        let answered = await server.recorder.answered
        await server.stop()
        #expect(answered == [422])
        #expect(failures.count == 1)
        #expect(failures.first?.contains("HTTP 422") == true)
    }

    @Test func unreachableCollectorEndsInOneFailureWithoutHanging() async throws {
        let port = try Self.closedPort()
        let poster = try WebhookPoster(url: "http://127.0.0.1:\(port)/hook", timeout: .seconds(2), attempts: 3)
        let start = ContinuousClock.now
        await poster.post(Self.record(1))
        let emptied = await poster.drain(timeout: .seconds(15))
        let elapsed = ContinuousClock.now - start
        let failures = await poster.failures
        #expect(await poster.delivered == 0)
        await poster.shutdown()
        #expect(emptied)
        // Bounded by attempts × timeout + backoff (about 7 s idle); the bound is loose so that it
        // holds with every core busy, and still catches a poster that hangs.
        #expect(elapsed < .seconds(60), "bounded by attempts × timeout + backoff: \(elapsed)")
        #expect(failures.count == 1)
        #expect(failures.first?.contains("run-1") == true)
        #expect(failures.first?.contains("3 attempts") == true, "\(failures)")
    }

    @Test func shutdownCountsWhatWasNotDelivered() async throws {
        let port = try Self.closedPort()
        let poster = try WebhookPoster(url: "http://127.0.0.1:\(port)/hook", attempts: 3)
        for n in 1...3 { await poster.post(Self.record(n)) }
        #expect(await poster.pending == 3)
        await poster.shutdown()
        #expect(await poster.failures.count == 3)
        #expect(await poster.pending == 0)
        await poster.post(Self.record(4))
        #expect(await poster.failures.count == 4, "a post after shutdown is counted, not queued")
    }

    @Test func deliveredRecordsAreHandedBackByRunIDInOrder() async throws {
        let server = try await HookServer.start(answers: [500, 422])
        let seen = HookRecorder(answers: [])
        let poster = try WebhookPoster(url: "http://127.0.0.1:\(server.port)/hook", attempts: 2,
                                       onDelivered: { runID in _ = await seen.receive(Data(runID.utf8), contentType: "") })
        for n in 1...3 { await poster.post(Self.record(n)) }
        #expect(await poster.drain(timeout: .seconds(60)))
        await poster.shutdown()
        await server.stop()
        // run-1: 500 then 422 → given up, never handed back (it stays in the station's outbox).
        let delivered = await seen.bodies.map { String(decoding: $0, as: UTF8.self) }
        #expect(delivered == ["run-2", "run-3"])
        #expect(await poster.failures.count == 1)
    }

    /// A collector that accepts the connection and never answers: the drain gives up at its
    /// limit and the shutdown ends the request in flight at once, counting it, instead of
    /// waiting out every attempt's timeout.
    @Test func aHungCollectorNeitherHoldsTheStopNorHidesTheRecord() async throws {
        let listener = try SilentListener()
        defer { listener.close() }
        let handedBack = HookRecorder(answers: [])
        let poster = try WebhookPoster(url: "http://127.0.0.1:\(listener.port)/hook", timeout: .seconds(30),
                                       attempts: 3,
                                       onDelivered: { runID in _ = await handedBack.receive(Data(runID.utf8), contentType: "") })
        await poster.post(Self.record(1))
        await poster.post(Self.record(2))
        #expect(await poster.drain(timeout: .milliseconds(300)) == false)
        let start = ContinuousClock.now
        await poster.shutdown()
        let elapsed = ContinuousClock.now - start
        #expect(elapsed < .seconds(5), "shutdown waited for the hung request: \(elapsed)")
        let failures = await poster.failures
        #expect(failures.count == 2, "\(failures)")
        #expect(failures.first?.contains("run-1") == true)
        #expect(await poster.delivered == 0)
        #expect(await handedBack.answered.isEmpty)
    }

    @Test(arguments: ["ftp://mes.local/hook", "mes.local/hook", "http://", "", "http:// spaces in/hook"])
    func badURLIsRefusedAtInit(_ url: String) {
        #expect(throws: WebhookError.self) { try WebhookPoster(url: url) }
    }

    @Test func fewerThanOneAttemptIsRefused() {
        #expect(throws: WebhookError.self) { try WebhookPoster(url: "http://127.0.0.1:1/", attempts: 0) }
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago and is now closed: connections are refused.
    private static func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HookServerError(reason: "socket: \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard bound else { throw HookServerError(reason: "bind: \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

struct HookServerError: Error {
    let reason: String
}

/// What the collector saw: bodies in arrival order, and the status it answered each request with.
actor HookRecorder {
    private(set) var bodies: [Data] = []
    private(set) var contentTypes: [String] = []
    private(set) var answered: [Int] = []
    private var script: [Int]

    init(answers: [Int]) { script = answers }

    /// Records a request; returns the status to answer (scripted ones first, then 200).
    func receive(_ body: Data, contentType: String) -> Int {
        let status = script.isEmpty ? 200 : script.removeFirst()
        answered.append(status)
        if status == 200 {
            bodies.append(body)
            contentTypes.append(contentType)
        }
        return status
    }
}

/// A Hummingbird server on 127.0.0.1 (any free port) standing in for an MES collector.
struct HookServer {
    let port: Int
    let recorder: HookRecorder
    let task: Task<Void, Error>

    static func start(answers: [Int]) async throws -> HookServer {
        let recorder = HookRecorder(answers: answers)
        let router = Router(context: BasicRequestContext.self)
        router.post("/hook") { request, _ -> Response in
            let buffer = try await request.body.collect(upTo: 1 << 20)
            let status = await recorder.receive(Data(buffer.readableBytesView),
                                                contentType: request.headers[.contentType] ?? "")
            return Response(status: .init(code: status))
        }
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "webhook-tests")
        logger.logLevel = .critical
        let app = Application(router: router,
                              configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: nil),
                              onServerRunning: { channel in
                                  portSink.yield(channel.localAddress?.port ?? 0)
                                  portSink.finish()
                              },
                              logger: logger)
        let task = Task {
            defer { portSink.finish() }
            try await app.runService(gracefulShutdownSignals: [])
        }
        var port = 0
        for await p in ports { port = p; break }
        guard port > 0 else {
            task.cancel()
            throw HookServerError(reason: "the test server did not start")
        }
        return HookServer(port: port, recorder: recorder, task: task)
    }

    func stop() async {
        task.cancel()
        _ = try? await task.value
    }
}
