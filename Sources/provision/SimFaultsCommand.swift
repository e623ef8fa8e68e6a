import ArgumentParser
import Firmware
import Foundation
import SimulatedLine

/// `provision sim faults`: the faults `--sim-faults random:SEED:RATE` gives boards 1…N of a
/// station on this `.soc`, and the verdict each board must get (`DrawnFault.expected`), one JSON
/// object per board, so a soak checks the store against the same table the station's faults
/// come from.
struct SimFaults: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faults",
        abstract: "List the faults a random fault plan gives each simulated board, with the verdict each must get.")

    @OptionGroup var firmware: FirmwarePackageOptions

    @Argument(help: ArgumentHelp("The random fault plan, as --sim-faults takes it.", valueName: RandomFaultPlan.form))
    var plan: String

    @Option(help: "Boards 1 to N.")
    var boards: Int

    @Flag(help: "The station reads every image back (--verify).")
    var verify = false

    func run() async throws {
        do {
            try OptionBounds.check(boards, "--boards", OptionBounds.boardCount, "boards")
            let random: RandomFaultPlan
            do { random = try RandomFaultPlan(spec: plan) } catch { throw StationInputError(error.description) }
            let package = try firmware.open()
            let session = RandomFaultPlan.Session(fullFlashOf: package.plan,
                                                  agentBootBytes: try package.requireAgentBoot().bytes.count)
            var out = ""
            for board in 1...boards {
                let fault = random.fault(board: board, session: session)
                let outcome = fault?.expected(readBack: verify) ?? .passes
                var line: [String: Any] = ["board": board, "status": outcome.failureClass == nil ? "pass" : "fail",
                                           "repeats": outcome.repeats]
                if let fault { line["fault"] = fault.description; line["kind"] = fault.kind.description }
                if let failure = outcome.failureClass { line["failure_class"] = failure.rawValue }
                let data = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys])
                out += String(decoding: data, as: UTF8.self) + "\n"
            }
            FileHandle.standardOutput.write(Data(out.utf8))
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw fail(error)
        }
    }
}
