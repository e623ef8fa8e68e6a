import BoardSim
import Foundation
import LuaImage
import QA
import Testing

@Suite("QA full loop: our QA script on a simulated board against the QA server")
struct QAFullLoopTests {
    @Test("a healthy board passes every check, with server evidence and a signed report")
    func healthyBoardPasses() async throws {
        let server = QAServer(host: "127.0.0.1", port: 0)
        try await server.start()
        defer { Task { await server.stop() } }
        let run = try await QALoop.run(server: server, board: 3)
        #expect(run.report.taskErrors.isEmpty, "\(run.report.taskErrors)")
        #expect(run.verdict.pass, "\(run.verdict)")
        #expect(run.verdict.failure == nil)
        #expect(run.verdict.checks.map(\.check) == ["get", "form_post", "multipart_upload", "download", "json_roundtrip", "gzip"])
        #expect(run.verdict.checks.allSatisfy { $0.pass })
        #expect(run.verdict.imei == RuntimeIdentity.simulated(3).imei)
        #expect(run.verdict.iccid == RuntimeIdentity.simulated(3).iccid)
        #expect(run.verdict.firmware == "V1112")
        // The server's own records: one matching observation per check, and the accepted report.
        for check in ["get", "form_post", "multipart_upload", "download", "json_roundtrip", "gzip", "report"] {
            #expect(run.evidence.observations.contains { $0.check == check && $0.matched }, "\(check)")
        }
        #expect(run.evidence.report?.downloadSHA256?.lowercased() == run.evidence.expected["download"])
        #expect(run.evidence.rejections.isEmpty)
        // The board's account on x.6 agrees.
        let events = QABoardEvent.parse(run.report.vuart)
        #expect(events.first?.ev == "boot")
        #expect(events.contains { $0.ev == "attach" && $0.ok == true })
        #expect(events.last?.ev == "done" && events.last?.pass == true)
        // Signed off: the signature holds, and any edit breaks it.
        let key = Array("station-key".utf8)
        let signed = run.verdict.signed(with: key)
        #expect(signed.verifySignature(stationKey: key))
        var edited = signed
        edited = QAVerdict(sessionID: edited.sessionID, boardID: "other", pass: edited.pass, failure: edited.failure,
                           checks: edited.checks, imei: edited.imei, iccid: edited.iccid, csq: edited.csq,
                           firmware: edited.firmware, reportAtMs: edited.reportAtMs, deadlineMs: edited.deadlineMs,
                           notes: edited.notes, signature: signed.signature)
        #expect(!edited.verifySignature(stationKey: key))
    }

    @Test("server unreachable: every check fails with the firmware's connect-failure code (-5 by default)")
    func serverUnreachable() async throws {
        let server = QAServer(host: "127.0.0.1", port: 0)
        try await server.start()
        defer { Task { await server.stop() } }
        // Port 1 on loopback: nothing listens, the connection is refused.
        let run = try await QALoop.run(server: server, plan: QALoop.fastPlan(checks: [.get, .download]),
                                       sessionURL: "http://127.0.0.1:1/qa/x")
        #expect(!run.verdict.pass)
        let code = FirmwareHTTPBehaviour().connectFailure.rawValue
        #expect(run.verdict.failure == .httpLibraryError(code: code))
        #expect(run.verdict.checks.map(\.failure) == [.httpLibraryError(code: code), .httpLibraryError(code: code)])
        #expect(run.evidence.observations.isEmpty)
        #expect(run.evidence.report == nil)
    }

    @Test("a board that never attaches fails as no network attach")
    func neverAttaches() async throws {
        let server = QAServer(host: "127.0.0.1", port: 0)
        try await server.start()
        defer { Task { await server.stop() } }
        var faults = NetworkFaults()
        faults.noAttach = true
        let run = try await QALoop.run(server: server, plan: QALoop.fastPlan(checks: [.get]), faults: faults)
        #expect(run.verdict.failure == .noNetworkAttach)
        #expect(run.verdict.checks.first?.failure == .noNetworkAttach)
        #expect(run.evidence.observations.isEmpty)
    }

    @Test("upload bytes altered in transit: the upload fails as content mismatch, the rest pass")
    func uploadAltered() async throws {
        let server = QAServer(host: "127.0.0.1", port: 0)
        try await server.start()
        defer { Task { await server.stop() } }
        var faults = NetworkFaults()
        faults.alterRequestBodyMatching = "/upload"
        let run = try await QALoop.run(server: server, plan: QALoop.fastPlan(checks: [.get, .multipartUpload]), faults: faults)
        #expect(run.verdict.failure == .contentMismatch)
        #expect(run.verdict.checks.first { $0.check == "get" }?.pass == true)
        let upload = try #require(run.verdict.checks.first { $0.check == "multipart_upload" })
        #expect(upload.failure == .contentMismatch)
        #expect(run.evidence.observations.contains { $0.check == "multipart_upload" && !$0.matched })
    }

    @Test("download corrupted in transit: the board's file hash differs and the download fails")
    func downloadCorrupted() async throws {
        let server = QAServer(host: "127.0.0.1", port: 0)
        try await server.start()
        defer { Task { await server.stop() } }
        var faults = NetworkFaults()
        faults.corruptResponseBodyMatching = "/download"
        let run = try await QALoop.run(server: server, plan: QALoop.fastPlan(checks: [.download, .gzip]), faults: faults)
        #expect(run.verdict.failure == .contentMismatch)
        let download = try #require(run.verdict.checks.first { $0.check == "download" })
        #expect(download.failure == .contentMismatch)
        #expect(run.verdict.checks.first { $0.check == "gzip" }?.pass == true)
        // The server served the right bytes; the board's hash is what differs.
        #expect(run.evidence.observations.contains { $0.check == "download" && $0.servedSHA256 == run.evidence.expected["download"] })
        #expect(run.evidence.report?.downloadSHA256?.lowercased() != run.evidence.expected["download"])
    }

    @Test("deadline passed: a slow link brings the report in late and the board fails as timeout")
    func deadlinePassed() async throws {
        let server = QAServer(host: "127.0.0.1", port: 0)
        try await server.start()
        defer { Task { await server.stop() } }
        var faults = NetworkFaults()
        faults.extraLatency = .milliseconds(120)
        let run = try await QALoop.run(server: server, plan: QALoop.fastPlan(checks: [.get, .download], deadlineMs: 200),
                                       faults: faults)
        #expect(run.evidence.report != nil)
        #expect((run.evidence.reportAtMs ?? 0) > 200)
        #expect(!run.verdict.pass)
        #expect(run.verdict.failure == .timeout)
    }

    @Test("a wrong endpoint answers 404: the checks fail as wrong status, and without a report")
    func wrongStatus() async throws {
        let server = QAServer(host: "127.0.0.1", port: 0)
        let port = try await server.start()
        defer { Task { await server.stop() } }
        let run = try await QALoop.run(server: server, plan: QALoop.fastPlan(checks: [.get, .formPost]),
                                       sessionURL: "http://127.0.0.1:\(port)/not-qa/x")
        #expect(run.verdict.failure == .wrongStatus(code: 404))
        #expect(run.verdict.checks.map(\.failure) == [.wrongStatus(code: 404), .wrongStatus(code: 404)])
        #expect(run.evidence.report == nil)
    }

    @Test("extra URLs from the profile are fetched and judged on the board's word")
    func extraURLs() async throws {
        let server = QAServer(host: "127.0.0.1", port: 0)
        let port = try await server.start()
        defer { Task { await server.stop() } }
        var plan = QALoop.fastPlan(checks: [.get])
        plan.extraURLs = ["http://127.0.0.1:\(port)/elsewhere"]
        let run = try await QALoop.run(server: server, plan: plan)
        #expect(run.verdict.checks.map(\.check) == ["get", "extra_1"])
        #expect(run.verdict.checks[0].pass)
        #expect(run.verdict.checks[1].failure == .wrongStatus(code: 404))
    }

    @Test("eight boards at once: every session keeps its own evidence")
    func concurrentBoards() async throws {
        let server = QAServer(host: "127.0.0.1", port: 0)
        try await server.start()
        defer { Task { await server.stop() } }
        let runs = try await withThrowingTaskGroup(of: QALoop.Run.self) { group in
            for board in 1...8 {
                group.addTask { try await QALoop.run(server: server, plan: QALoop.fastPlan(checks: [.get, .multipartUpload]), board: board) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(runs.count == 8)
        for run in runs {
            #expect(run.verdict.pass, "\(run.ticket.boardID): \(run.verdict)")
            #expect(run.verdict.imei == RuntimeIdentity.simulated(Int(run.ticket.boardID.dropFirst(4))!).imei)
        }
        #expect(Set(runs.map(\.verdict.imei)).count == 8)
    }
}
