import ArgumentParser
import BoardSim
import Dispatch
import EC618
import Firmware
import Foundation
import Links

/// `provision sim board`: a simulated EC618 in download mode behind a pseudo-terminal, for the
/// flasher, for other tools (ectool) and for trying things without hardware.
struct SimBoard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "board",
        abstract: "Run a simulated EC618 board in download mode behind a pseudo-terminal.",
        discussion: """
            Prints the pty path as the first line on stdout; flash it like /dev/ttyACM0. On SYS_RST \
            (or SIGTERM) the flash contents are written to --dump DIR as ap_flash.bin (4 MiB, raw AP \
            offsets) and cp_flash.bin (1 MiB), and the simulator exits.

            Timing: fast (no delays) or realistic (1 MB/s link, 150 ms per 64 KiB erase, 400 KB/s \
            programming).

            Fault SPEC (comma-separated NAME=VALUE):
              \(FaultPlan.Kind.help.replacingOccurrences(of: "\n", with: "\n  "))
            Example: --faults nak-block=3,corrupt-byte=70000
            """)

    @Option(help: "Timing model: fast or realistic.")
    var timing: TimingChoice = .fast

    @Option(help: "Faults to inject (see above).")
    var faults: String?

    @Option(help: "Folder for ap_flash.bin and cp_flash.bin at the end of the session.")
    var dump: String?

    @Option(name: .customLong("start-from"),
            help: "Start from the flash in this folder (ap_flash.bin and cp_flash.bin as --dump writes them) instead of an erased chip.")
    var startFrom: String?

    @Option(help: "Write the wire transcript (one unit per line: direction, kind, hex) to this file.")
    var record: String?

    @Option(name: .customLong("accept-agentboot"),
            help: "Accept only AgentBoots with this SHA-256 (repeatable). Default: any whose size matches its header.")
    var acceptAgentBoot: [String] = []

    @Option(help: "Packet size the AgentBoot offers (bytes).")
    var agentPacket = 0x4000

    // Whether a real ROM/AgentBoot checks either hash is unknown (spec §10 item 10), so the
    // board accepts any by default; this makes it refuse what the §4.4 rules would.
    @Flag(help: "Refuse image headers whose header hash, and images whose body hash, do not match (default: not checked).")
    var strictHashes = false

    enum TimingChoice: String, ExpressibleByArgument, CaseIterable {
        case fast, realistic
        var model: SimTiming { self == .fast ? .fast : .realistic }
    }

    func run() async throws {
        // A negative packet size would trap when the AgentBoot offers it (UInt32 of a negative).
        do { try OptionBounds.check(agentPacket, "--agent-packet", OptionBounds.agentPacketBytes, "bytes") }
        catch { throw fail(error) }
        let faultPlan: FaultPlan
        do {
            faultPlan = try FaultPlan(spec: faults ?? "")
        } catch {
            throw fail(SimInputError(message: error.description))
        }
        if let dump {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dump, isDirectory: &isDir), isDir.boolValue else {
                throw fail(SimInputError(message: "\(dump): --dump must be an existing folder"))
            }
        }
        var config = BoardConfig()
        config.agentPacketSize = agentPacket
        config.checksHeaderHash = strictHashes
        config.checksBodyHash = strictHashes
        if !acceptAgentBoot.isEmpty { config.acceptedAgentBoots = Set(acceptAgentBoot.map { $0.lowercased() }) }
        let board = SimulatedBoard(config: config, timing: timing.model, faults: faultPlan)
        if let startFrom {
            let erased = await board.flash
            await board.preload(ap: try flashFile(startFrom, "ap_flash.bin", like: erased.ap),
                                cp: try flashFile(startFrom, "cp_flash.bin", like: erased.cp))
        }
        await board.setRecordsTranscript(record != nil)
        let pty: PseudoTerminal
        do { pty = try PseudoTerminal.open() } catch { throw fail(PortUnavailable(message: "\(error)")) }
        // Unbuffered: whoever started us reads this line to find the port.
        FileHandle.standardOutput.write(Data((pty.path + "\n").utf8))

        let finish: @Sendable (String) async -> Void = { [dump, record] why in
            let contents = await board.flash
            if let dump {
                try? writeAtomically(contents.ap, to: (dump as NSString).appendingPathComponent("ap_flash.bin"))
                try? writeAtomically(contents.cp, to: (dump as NSString).appendingPathComponent("cp_flash.bin"))
            }
            if let record {
                let lines = await board.transcript.map(\.description).joined(separator: "\n") + "\n"
                try? writeAtomically(Array(lines.utf8), to: record)
            }
            let refusals = await board.refusals
            let bound = await board.lowerBound
            let seconds = Double(bound.components.seconds) + Double(bound.components.attoseconds) / 1e18
            FileHandle.standardError.write(Data(("sim board: \(why); programmed \(await board.programmedBytes) bytes, "
                + "\(await board.erasedBlocks) block erases, model lower bound \(String(format: "%.3f", seconds)) s; "
                + "\(refusals.count) refusals\(refusals.isEmpty ? "" : ": " + refusals.joined(separator: "; "))\n").utf8))
        }
        signal(SIGTERM, SIG_IGN)
        let term = DispatchSource.makeSignalSource(signal: SIGTERM)
        term.setEventHandler {
            Task {
                await finish("SIGTERM")
                Foundation.exit(0)
            }
        }
        term.resume()

        let outcome = await board.serve(on: pty.deviceLink)
        // Let the client read the last answer (ZzZzZzZz) before the pty goes away.
        await pty.lingerUntilClientCloses(limit: .seconds(3))
        await finish("session ended (\(outcome))")
        await pty.close()
    }
}

extension SimBoard {
    /// A dump file of `--start-from`: it must be the chip's size, as `--dump` writes it.
    private func flashFile(_ folder: String, _ name: String, like blank: [UInt8]) throws -> [UInt8] {
        let path = (folder as NSString).appendingPathComponent(name)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw fail(SimInputError(message: "\(path): --start-from needs ap_flash.bin and cp_flash.bin (cannot read it)"))
        }
        guard data.count == blank.count else {
            throw fail(SimInputError(message: "\(path): \(data.count) bytes, the simulated flash has \(blank.count)"))
        }
        return Array(data)
    }
}

/// A bad `sim board` option (exit 2).
struct SimInputError: ProvisionFailure {
    let message: String
    var exitCode: Int32 { ProvisionExit.inputError }
    var description: String { message }
}
