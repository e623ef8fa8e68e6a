import ArgumentParser
import BoardSim
import Dispatch
import Firmware
import Foundation
import LuaImage
import QA
import Records
import Station

/// `provision qa-server`: the QA server on its own, for a line's stations to share.
struct QAServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qa-server",
        abstract: "Run the QA server alone (stations open sessions through its /admin API).",
        discussion: """
            Boards only ever see --public-url (a tunnel or cloud host in front of this server). \
            Stations open sessions with POST /admin/sessions {"board_id": …} and read evidence and \
            verdicts from GET /admin/sessions/<id>[/verdict] (POST …/verdict {"board_events": […]} \
            judges with the board's own events; GET /admin/server tells where boards are sent), \
            with "Authorization: Bearer <token>" (--admin-token, or $PROVISION_QA_ADMIN_TOKEN). \
            Stops on SIGINT/SIGTERM.

            --db keeps sessions, evidence and verdicts in the results store instead of memory, so \
            a restarted server, or several servers on one PostgreSQL behind a load balancer, \
            lose and mix up nothing.

            --bench-boards N runs N simulated boards with the QA script against a server on \
            127.0.0.1 at once, prints throughput and any lost or mixed-up record, and exits \
            (1 if any record was lost or mixed up).
            """)

    @Option(help: "HOST:PORT to listen on.")
    var listen = "127.0.0.1:8123"

    @Option(name: .customLong("public-url"), help: "Base URL boards use to reach this server.")
    var publicURL: String?

    @Option(name: .customLong("admin-token"), help: "Bearer token for the /admin endpoints.")
    var adminToken: String?

    @OptionGroup var tls: TLSPairOptions

    @Option(name: .customLong("https-port"), help: "Port of the https listener (with --tls-cert; 0 = any).")
    var httpsPort = 0

    @Option(name: .customLong("public-https-url"), help: "Base https URL boards use, when not https://HOST:HTTPS-PORT.")
    var publicHTTPSURL: String?

    @OptionGroup var store: StoreOption
    var db: String? { store.db }

    @Option(name: .customLong("bench-boards"), help: "Benchmark: this many simulated boards at once, then exit.")
    var benchBoards: Int?

    /// Every option is checked before the server binds: a URL boards cannot use would only show
    /// up as every board failing its checks.
    private func validateOptions() throws(OptionError) {
        if let benchBoards { try OptionBounds.check(benchBoards, "--bench-boards", OptionBounds.benchBoards, "boards") }
        try OptionBounds.check(httpsPort, "--https-port", OptionBounds.port, "")
        if let publicURL, !WebURL.isValid(publicURL, schemes: ["http", "https"]) {
            throw OptionError("--public-url \(publicURL): not an http(s) URL")
        }
        if let publicHTTPSURL, !WebURL.isValid(publicHTTPSURL, schemes: ["https"]) {
            throw OptionError("--public-https-url \(publicHTTPSURL): not an https URL")
        }
    }

    /// A URL with one of `schemes` and a host, as the board's HTTP client needs.
    func run() async throws {
        do { try validateOptions() } catch { throw fail(error) }
        if let benchBoards {
            let ok = try await QABench.run(boards: benchBoards)
            if !ok { throw ExitCode(ProvisionExit.boardFailed) }
            return
        }
        // `:PORT` listens on every address; anything else is the project's one HOST:PORT.
        guard let address = HostPort(listen.hasPrefix(":") ? "0.0.0.0" + listen : listen) else {
            throw fail(VerifyInputError(message: "--listen \(listen): expected \(HostPort.form), e.g. 0.0.0.0:8123"))
        }
        let (host, port) = (address.host, address.port)
        let token = adminToken ?? ProcessInfo.processInfo.environment["PROVISION_QA_ADMIN_TOKEN"]
        let identity: QATLSIdentity?
        do { identity = try tls.identity() } catch let error as TLSPairError { throw fail(error) }
        catch { throw fail(VerifyInputError(message: "\(error)")) }
        // Opened (and migrated) before the port is bound: a store named wrongly is bad input,
        // and a server that cannot keep its sessions must not take boards.
        var store: SQLResultsStore?
        if let db {
            do { store = try await StoreURL.open(db) } catch { throw fail(error) }
        }
        let server = QAServer(host: host, port: port, publicURL: publicURL, adminToken: token, tls: identity,
                              httpsPort: httpsPort, publicHTTPSURL: publicHTTPSURL,
                              sessionStore: store.map { StoredQASessions(store: $0) })
        do { try await server.start() }
        catch {
            await store?.close()
            throw fail(PortUnavailable(message: "\(error)"))
        }
        let bound = await server.boundPort ?? port
        let boardsUse = await server.publicURL
        // Written unbuffered, so it is out at once even into a pipe or a log file: whoever
        // started the server waits for this line.
        FileHandle.standardOutput.write(Data(("qa-server listening on \(host):\(bound); boards use \(boardsUse)"
            + (token == nil ? "; /admin disabled (no --admin-token)" : "")
            + (store.map { "; sessions kept in \($0.label)" } ?? "") + "\n").utf8))
        let (signals, sink) = AsyncStream.makeStream(of: Int32.self)
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig)
            source.setEventHandler { sink.yield(sig) }
            source.resume()
            sources.append(source)
        }
        for await _ in signals { break }
        await server.stop()
        await store?.close()
        print("qa-server stopped")
        _ = sources
    }
}

/// The QA server benchmark: N simulated boards run the real QA script at once on loopback.
enum QABench {
    static func run(boards: Int) async throws -> Bool {
        guard let folder = QAScriptImage.defaultScriptFolder() else {
            throw VerifyInputError(message: "no QA script folder found (profiles/air780e/qa)")
        }
        let server = QAServer(host: "127.0.0.1", port: 0)
        try await server.start()
        let plan = QAPlan(checks: [.get, .formPost, .multipartUpload, .download, .jsonRoundtrip, .gzip],
                          attachBudgetMs: 5_000, checkTimeoutMs: 20_000, downloadBytes: 8192, uploadBytes: 4096,
                          deadlineMs: 120_000)
        let partition = ScriptPartition(flashOffset: 0x2C_C000, capacity: 128 * 1024)
        let options = ScriptImageOptions(useLuac: true, useDebug: true, capacity: partition.capacity)
        var tickets: [QASessionTicket] = []
        var images: [[LuaDBFile]] = []
        for board in 1...boards {
            let ticket = await server.createSession(boardID: "bench-\(board)", plan: plan)
            let image = try QAScriptImage.build(ticket: ticket, scriptFolder: folder, options: options)
            tickets.append(ticket)
            images.append(try LuaDBReader.read(image.bytes))
        }
        let started = ContinuousClock.now
        let reports = await withTaskGroup(of: (Int, LuatOSRuntime.Report).self) { group in
            for index in 0..<boards {
                let files = images[index]
                group.addTask {
                    var settings = RuntimeSettings(sandboxDirectory: NSTemporaryDirectory() + "qa-bench-" + UUID().uuidString)
                    settings.attachDelay = .milliseconds(5)
                    defer { try? FileManager.default.removeItem(atPath: settings.sandboxDirectory) }
                    let runtime = LuatOSRuntime(files: files, identity: .simulated(index + 1), settings: settings)
                    return (index, await runtime.run(for: .seconds(120)))
                }
            }
            var out = [LuatOSRuntime.Report?](repeating: nil, count: boards)
            for await (index, report) in group { out[index] = report }
            return out.map { $0! }
        }
        let elapsed = ContinuousClock.now - started
        var passed = 0, lost = 0, mixed = 0, requests = 0
        for (index, ticket) in tickets.enumerated() {
            let events = QABoardEvent.parse(reports[index].vuart)
            guard let evidence = await server.evidence(sessionID: ticket.sessionID),
                  let verdict = await server.verdict(sessionID: ticket.sessionID, boardEvents: events) else { lost += 1; continue }
            requests += evidence.observations.count + evidence.rejections.count
            if verdict.pass { passed += 1 }
            // Only the boards' own (signed) requests show that nothing was lost or mixed up.
            let own = evidence.observations.filter { $0.interference == nil }
            let expectedChecks = Set(plan.checks.map(\.rawValue) + ["report"])
            if !expectedChecks.isSubset(of: Set(own.map(\.check))) { lost += 1 }
            let identity = RuntimeIdentity.simulated(index + 1)
            if let report = evidence.report, report.sid != ticket.sessionID || report.imei != identity.imei { mixed += 1 }
            if own.count < evidence.observations.count || own.contains(where: { !$0.matched }) { mixed += 1 }
        }
        await server.stop()
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("qa-server bench: \(boards) boards at once on 127.0.0.1, \(plan.checks.count) checks + report each")
        print(String(format: "  wall %.2f s, %d requests recorded, %.0f requests/s, %.1f boards/s",
                     seconds, requests, Double(requests) / seconds, Double(boards) / seconds))
        print("  PASS \(passed)/\(boards), lost records \(lost), mixed-up records \(mixed)")
        return lost == 0 && mixed == 0 && passed == boards
    }
}
