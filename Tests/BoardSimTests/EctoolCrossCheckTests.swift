import BoardSim
import EC618
import Firmware
import Foundation
import Links
import Testing
import TestSupport

/// Peer cross-check: PyPI `ectool` (openLuat's EC618 flasher) and our flasher write the same
/// synthetic `.soc` (with a script.bin) into two identical simulated boards through
/// pseudo-terminals. The flash contents must be equal, and the recorded wire transcripts equal
/// frame by frame, except where explained below.
///
/// Differences, and why:
/// 1. The AgentBoot. ectool always sends the vendor AgentBoot embedded in its `ecag` module and
///    has no option to take another; we send the fixture's stand-in. The board accepts any
///    AgentBoot whose header fields are valid and whose size matches the body received (the
///    hashes are checked only in strict mode: spec §10 item 10), so both load. Hence the
///    AgentBoot header differs only in size and hashes, and the body transfer differs in its
///    bytes and packet count; its structure (DATA_HEAD/DOWNLOAD_DATA in the 0x400-byte packets
///    the ROM offers, then DONE) is checked for both.
/// 2. Nothing else: from the first LPC command on (every image, burn status, reset) the two
///    transcripts are byte-identical, once retransmissions are folded (a loaded machine can
///    make either host resend a command after a timeout; the last exchange of a run of
///    identical requests is kept) and sync rounds are reduced to the sequence of words sent.
@Suite("ectool cross-check", .serialized)
struct EctoolCrossCheckTests {
    static let harness = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Peers/ectool/run_ectool.py")

    /// ectool 1.2.1 reads `.soc` files with py7zr's `readall`, gone in py7zr 1.0.
    static let ectoolInstalled: Bool = {
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        check.arguments = ["python3", "-c", "import ectool.eccli, py7zr; py7zr.SevenZipFile.readall"]
        check.standardOutput = FileHandle.nullDevice
        check.standardError = FileHandle.nullDevice
        guard (try? check.run()) != nil else { return false }
        check.waitUntilExit()
        return check.terminationStatus == 0
    }()

    @Test("ectool and our flasher leave the same flash and the same frames",
          .enabled(if: ectoolInstalled, "ectool not installed: pip install ectool==1.2.1 'py7zr<1'"),
          .timeLimit(.minutes(2)))
    func sameFlashSameFrames() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ectool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var soc = SyntheticSoc()
        soc.sizes = .small
        soc.scriptImage = Fixtures.bytes(30_000, seed: 11)
        let socBytes = try soc.make()
        let socPath = folder.appendingPathComponent("fixture.soc").path
        try Data(socBytes).write(to: URL(fileURLWithPath: socPath))
        let package = try SocPackage(bytes: socBytes, path: socPath)
        #expect(package.plan.script != nil)

        // Ours, over a pty like ectool.
        let ours = SimulatedBoard()
        await ours.setRecordsTranscript(true)
        await ours.preload(ap: Fixtures.oldAPPattern, cp: Fixtures.oldCPPattern)
        let ourPty = try PseudoTerminal.open()
        let ourServe = Task { await ours.serve(on: ourPty.deviceLink) }
        // ectool's own timing: 800 ms per answer.
        let flasher = Flasher(link: try SerialLink.open(path: ourPty.path), settings: FlasherSettings())
        try await flasher.flash(package.plan, agentBoot: try package.requireAgentBoot().bytes)
        #expect(await ourServe.value == .reset)
        await ourPty.close()

        // ectool, against a board in a process of its own (`provision sim board`), as a real chip
        // is: ectool gives each answer 800 ms (`serial.Serial(..., timeout=0.8)` in ectool
        // 1.2.1's `eccli.py`; one miss fails the AgentBoot download in `ecaction.py`), and a
        // board served from this test process shares its two pool threads with every other test
        // and missed that on a loaded machine.
        let theirs = try await Self.ectoolLeg(soc: socPath, in: folder)
        #expect(theirs.ectool.status == 0, "ectool: \(theirs.ectool.output) board: \(theirs.boardLog)")
        #expect(theirs.boardLog.contains("session ended (reset)"), "\(theirs.boardLog)")
        #expect(theirs.boardLog.contains("; 0 refusals"), "\(theirs.boardLog)")

        // Same flash, and it is the plan.
        let ourFlash = await ours.flash, theirFlash = theirs.flash
        let sameFlash = ourFlash == theirFlash   // not inside #expect: it would print 10 MiB
        #expect(sameFlash, "ectool and our flasher left different flash contents")
        #expect(FlashCheck.mismatches(ourFlash, plan: package.plan, oldAP: Fixtures.oldAPPattern,
                                      oldCP: Fixtures.oldCPPattern).isEmpty)

        // Same frames.
        let ourWire = await ours.transcript, theirWire = theirs.transcript
        #expect(Self.syncWords(ourWire) == Self.syncWords(theirWire))
        let (ourROM, ourAgent) = Self.splitAtAgentBoot(Self.frames(ourWire))
        let (theirROM, theirAgent) = Self.splitAtAgentBoot(Self.frames(theirWire))
        #expect(!ourAgent.isEmpty)
        if let first = ourAgent.indices.first(where: { $0 < theirAgent.count && ourAgent[$0] != theirAgent[$0] }) {
            Issue.record("agent phase differs at unit \(first): ours \(ourAgent[first]) / ectool \(theirAgent[first])")
        }
        #expect(ourAgent.count == theirAgent.count)
        let ourHeader = try Self.checkROMPhase(ourROM)
        let theirHeader = try Self.checkROMPhase(theirROM)
        #expect(ourHeader.bodyID == theirHeader.bodyID)
        #expect(ourHeader.burnAddress == theirHeader.burnAddress)
        #expect(ourHeader.loadLocation == theirHeader.loadLocation)
        #expect(ourHeader.baudControl == theirHeader.baudControl)
        #expect(ourHeader.controlWord == theirHeader.controlWord)
        #expect(ourHeader.hashType == theirHeader.hashType)
    }

    /// Request and response frames, a run of identical requests folded into its last exchange.
    static func frames(_ wire: [TranscriptEntry]) -> [TranscriptEntry] {
        var out: [TranscriptEntry] = []
        for entry in wire where entry.kind == .frame {
            if entry.direction == .hostToDevice,
               let last = out.lastIndex(where: { $0.direction == .hostToDevice }), out[last] == entry {
                out.removeSubrange(last...)
            }
            out.append(entry)
        }
        return out
    }

    /// The sync words the host sent, repeats of the same word folded.
    static func syncWords(_ wire: [TranscriptEntry]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        for entry in wire where entry.kind == .sync && entry.direction == .hostToDevice && out.last != entry.bytes {
            out.append(entry.bytes)
        }
        return out
    }

    /// ROM frames, then everything from the first LPC command (BURN_ONE) on.
    static func splitAtAgentBoot(_ frames: [TranscriptEntry]) -> ([TranscriptEntry], [TranscriptEntry]) {
        let cut = frames.firstIndex { $0.direction == .hostToDevice && $0.bytes[2] == CommandFamily.lpc.orderID }
            ?? frames.count
        return (Array(frames[..<cut]), Array(frames[cut...]))
    }

    /// Checks the ROM phase has the shape every host uses (spec §6.6 steps 3–5) and returns the
    /// AgentBoot header sent.
    static func checkROMPhase(_ rom: [TranscriptEntry]) throws -> ImageHeader {
        let host = rom.filter { $0.direction == .hostToDevice }.map(\.bytes)
        let commands = host.map { $0[0] }
        // base info, header transfer (one 272-byte packet), base info, body transfer
        #expect(Array(commands.prefix(9)) == [0x20, 0x21, 0x22, 0x31, 0x32, 0x3A, 0x20, 0x21, 0x22])
        let header = try ImageHeader.decode(Array(host[4][8..<(8 + ImageHeader.size)]))
        let body = Array(host.dropFirst(9))
        let size = Int(header.imageSize)
        let packets = (size + 0x3FF) / 0x400
        #expect(body.count == 2 * packets + 1)
        var received: [UInt8] = []
        for p in 0..<packets {
            #expect(body[2 * p][0] == 0x31)
            #expect(body[2 * p + 1][0] == 0x32 && body[2 * p + 1][1] == UInt8(p & 0xFF))
            let length = Int(body[2 * p + 1][4]) | Int(body[2 * p + 1][5]) << 8
            #expect(length == min(0x400, size - p * 0x400))
            received += body[2 * p + 1][8..<(8 + length)]
        }
        #expect(body.last?[0] == 0x3A)
        #expect(header.matches(body: received))
        return header
    }

    /// Runs `provision sim board` from the same old flash as ours, ectool against its pty, and
    /// returns what the board was left with, its transcript and its last words.
    static func ectoolLeg(soc: String, in folder: URL) async throws
        -> (ectool: (status: Int32, output: String), flash: SimulatedBoard.FlashContents,
            transcript: [TranscriptEntry], boardLog: String) {
        let start = folder.appendingPathComponent("start"), end = folder.appendingPathComponent("end")
        for dir in [start, end] { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) }
        let blank = await SimulatedBoard().flash
        let expand = { (pattern: [UInt8], count: Int) in (0..<count).map { pattern[$0 % pattern.count] } }
        try Data(expand(Fixtures.oldAPPattern, blank.ap.count)).write(to: start.appendingPathComponent("ap_flash.bin"))
        try Data(expand(Fixtures.oldCPPattern, blank.cp.count)).write(to: start.appendingPathComponent("cp_flash.bin"))
        let record = folder.appendingPathComponent("ectool.transcript")
        let board = try RunningChild(ProvisionExecutable.url.path, [
            "sim", "board", "--start-from", start.path, "--dump", end.path, "--record", record.path,
        ], folder: folder.path)
        var port = ""
        for _ in 0..<600 where port.isEmpty {
            port = board.stdout.split(separator: "\n").first.map(String.init) ?? ""
            if port.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
        }
        guard !port.isEmpty else {
            board.send(SIGKILL)
            _ = await Self.reap(board)
            throw ChildProcess.Failure("provision sim board printed no port: \(board.stderr)")
        }
        let ectool = try await runEctool(soc: soc, port: port)
        // A finished session ends the board by itself; one ectool gave up on is ended here.
        if ectool.status != 0 { board.send(SIGTERM) }
        _ = await Self.reap(board)
        let read = { (name: String) in Array((try? Data(contentsOf: end.appendingPathComponent(name))) ?? Data()) }
        let transcript = ((try? String(contentsOf: record, encoding: .utf8)) ?? "")
            .split(separator: "\n").compactMap(TranscriptEntry.init(line:))
        return (ectool, SimulatedBoard.FlashContents(ap: read("ap_flash.bin"), cp: read("cp_flash.bin")),
                transcript, board.stderr)
    }

    /// Waits for a child off the concurrency pool (waitpid blocks).
    static func reap(_ child: RunningChild) async -> Int32 {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: child.wait()) }
        }
    }

    static func runEctool(soc: String, port: String) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", harness.path, soc, port]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let data = out.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(returning: (process.terminationStatus, String(decoding: data, as: UTF8.self)))
            }
        }
    }
}
