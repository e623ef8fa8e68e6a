import ArgumentParser
import BoardSim
import EC618
import Firmware
import Foundation
import Links
import LuaImage
import QA
import Vocabulary

/// `provision verify`: the post-flash verifier on one board, ending in a signed verdict.
///
/// `--sim` runs the whole loop in process on a simulated board: QA server on 127.0.0.1, a
/// session, the board's QA image, a full flash of the `.soc` plus that image through the real
/// flasher into the simulated EC618, reset, the LuatOS runtime running the QA script, verdict.
struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify a board with the QA script and the QA server; print a signed verdict.",
        discussion: """
            Exit 0 when the board passes, 1 when it fails, 2 for bad input.

            --sim: a simulated board goes from blank to a verdict in one command (flash with --soc, \
            reset, QA run against a QA server on 127.0.0.1). Simulated network faults: \
            --fault \(NetworkFaults.Kind.forms).
            --app-log FILE: judge the board from its own application's log lines instead (expectations \
            as a JSON list of {tag, expect_code, count}); with --sim the .soc is flashed with SCRIPTS.
            """)

    @Flag(help: "Run on a simulated board (in process).")
    var sim = false

    @OptionGroup var firmware: FirmwarePackageOptions
    var soc: String { firmware.soc }

    @OptionGroup var boardProfile: BoardProfileOption

    @Option(name: .customLong("qa-script"), help: "Folder of the QA Lua script (default: profiles/<board>/qa).")
    var qaScript: String?

    @Option(name: .customLong("app-log"), help: "Verify from the app's log lines with these expectations (JSON).")
    var appLog: String?

    @Argument(help: "With --app-log: the app's script files to flash.")
    var scripts: [String] = []

    @Option(help: "Simulated network fault (repeatable).")
    var fault: [String] = []

    @Option(name: .customLong("attach-ms"), help: "Simulated 4G attach time in milliseconds.")
    var attachMs = 1500

    @OptionGroup var tls: TLSPairOptions

    @Option(name: .customLong("station-key"), help: "Key that signs the verdict (default: $PROVISION_STATION_KEY or a per-run random key).")
    var stationKey: String?

    @Flag(help: "Print the verdict as JSON.")
    var json = false

    func run() async throws {
        guard sim else {
            throw fail(VerifyInputError(message: "verify needs --sim for now: a real board is verified by the station "
                + "pipeline, which flashes the per-board QA image itself"))
        }
        do {
            try OptionBounds.check(attachMs, "--attach-ms", OptionBounds.pauseMilliseconds, "ms")
            let verdict = try await simulatedVerify()
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(verdict), as: UTF8.self))
            } else {
                print(VerdictText.render(verdict))
            }
            if !verdict.pass { throw ExitCode(ProvisionExit.boardFailed) }
        } catch {
            throw fail(error)
        }
    }

    private func faults() throws -> NetworkFaults {
        var faults = NetworkFaults()
        for spec in fault {
            do {
                try faults.add(spec) { ms in
                    .milliseconds(try OptionBounds.check(ms, "--fault latency", OptionBounds.pauseMilliseconds, "ms"))
                }
            } catch let error as NetworkFaultSpecError {
                throw VerifyInputError(message: error.description)
            }
        }
        return faults
    }

    private func simulatedVerify() async throws -> QAVerdict {
        let package = try firmware.open()
        let agent = try package.requireAgentBoot()
        let boardProfile = try self.boardProfile.load()
        let settings = package.info.script
        let options = try package.scriptImageOptions()
        let networkFaults = try faults()
        let key = Array((stationKey ?? ProcessInfo.processInfo.environment["PROVISION_STATION_KEY"]
                         ?? UUID().uuidString).utf8)

        var expectations: [AppLogExpectation]?
        if let appLog { expectations = try AppLogVerifier.load(appLog) }

        let plan = QAPlan(profile: boardProfile)
        let notes: [String] = []
        var identity: QATLSIdentity?
        if plan.checks.contains(.https) {
            identity = try tls.identity() ?? QATLSIdentity.selfSigned(host: "127.0.0.1")
        }
        let server = QAServer(host: "127.0.0.1", port: 0, tls: identity)
        try await server.start()
        defer { Task { await server.stop() } }
        let ticket = await server.createSession(boardID: "sim-board", plan: plan)
        let image: ScriptImage
        if expectations != nil {
            guard !scripts.isEmpty else { throw VerifyInputError(message: "--app-log needs the app's script files") }
            image = try ScriptImageBuilder.build(paths: scripts, options: options)
        } else {
            guard let folder = qaScript ?? QAScriptImage.defaultScriptFolder() else {
                throw VerifyInputError(message: "no QA script folder found (profiles/air780e/qa); give --qa-script")
            }
            image = try QAScriptImage.build(ticket: ticket, scriptFolder: folder, options: options,
                                            caPEM: identity?.certificatePEM)
        }
        let flashPlan = try package.plan.withScript(image.bytes, name: settings.file, source: soc)

        // Flash the blank simulated board through the real flasher; the reset hands over its flash.
        let board = SimulatedBoard()
        let (resets, resetSink) = AsyncStream.makeStream(of: SimulatedBoard.FlashContents.self)
        await board.setResetHook { contents in resetSink.yield(contents); resetSink.finish() }
        let (hostLink, deviceLink) = MemoryLink.pair(name: "sim-board")
        async let served = board.serve(on: deviceLink)
        let flasher = Flasher(link: hostLink)
        do { try await flasher.flash(flashPlan, agentBoot: agent.bytes) }
        catch { await hostLink.close(); _ = await served; throw error }
        _ = await served
        var contents: SimulatedBoard.FlashContents?
        for await c in resets { contents = c; break }
        guard let contents else { throw VerifyInputError(message: "the simulated board did not reset after flashing") }

        let files = try LuatOSRuntime.scriptFiles(apFlash: contents.ap, partition: flashPlan.scriptPartition)
        var runtimeSettings = RuntimeSettings(sandboxDirectory: NSTemporaryDirectory() + "provision-verify-" + UUID().uuidString)
        runtimeSettings.attachDelay = .milliseconds(attachMs)
        runtimeSettings.faults = networkFaults
        defer { try? FileManager.default.removeItem(atPath: runtimeSettings.sandboxDirectory) }
        let runtime = LuatOSRuntime(files: files, identity: .simulated(1), settings: runtimeSettings)
        let report = await runtime.run(for: .milliseconds(plan.deadlineMs))

        if let expectations {
            let records = report.logLines.map { LuatOSLogRecord(milliseconds: nil, tag: nil, text: $0) }
            let result = AppLogVerifier.verdict(records: records, expectations: expectations)
            let failure = result.checks.first { !$0.pass }?.failure
            return QAVerdict(sessionID: ticket.sessionID, boardID: ticket.boardID, pass: result.pass, failure: failure,
                             checks: result.checks, imei: nil, iccid: nil, csq: nil, firmware: nil, reportAtMs: nil,
                             deadlineMs: plan.deadlineMs, notes: notes + ["app-log mode: judged from the app's own log lines"])
                .signed(with: key)
        }
        let verdict = await server.verdict(sessionID: ticket.sessionID, boardEvents: QABoardEvent.parse(report.vuart))
        guard var verdict else { throw VerifyInputError(message: "the QA session vanished") }
        if !notes.isEmpty {
            verdict = QAVerdict(sessionID: verdict.sessionID, boardID: verdict.boardID, pass: verdict.pass,
                                failure: verdict.failure, checks: verdict.checks, imei: verdict.imei, iccid: verdict.iccid,
                                csq: verdict.csq, firmware: verdict.firmware, reportAtMs: verdict.reportAtMs,
                                deadlineMs: verdict.deadlineMs, notes: verdict.notes + notes)
        }
        return verdict.signed(with: key)
    }
}

/// Plain-text rendering of a verdict, one line per check.
enum VerdictText {
    static func render(_ v: QAVerdict) -> String {
        var lines = ["\(v.pass ? "PASS" : "FAIL") board \(v.boardID) session \(v.sessionID)"
                     + (v.failure.map { " — \($0.summary)" } ?? "")
                     + (v.imei.map { "  IMEI \($0)" } ?? "") + (v.iccid.map { "  ICCID \($0)" } ?? "")
                     + (v.csq.map { "  CSQ \($0)" } ?? "")]
        for c in v.checks {
            lines.append("  \(c.pass ? "ok  " : "FAIL") \(c.check.padding(toLength: 17, withPad: " ", startingAt: 0))"
                         + (c.boardMs.map { " \($0) ms" } ?? "") + (c.failure.map { "  \($0.summary)" } ?? "") + "  \(c.detail)")
        }
        for note in v.notes { lines.append("  note: \(note)") }
        lines.append("  signature \(v.signature)")
        return lines.joined(separator: "\n")
    }
}

/// A bad `verify` option or input (exit 2).
struct VerifyInputError: ProvisionFailure {
    let message: String
    var exitCode: Int32 { ProvisionExit.inputError }
    var description: String { message }
}
