import ArgumentParser
import Foundation

/// `provision`: the station toolkit's single command-line entry point. Parsing only: every
/// subcommand hands its work to the library modules.
@main
struct Provision: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provision",
        abstract: "Flash and sign off Air780E (EC618, LuatOS) boards on a production line.",
        discussion: "Without a subcommand, runs the station: provision --soc X.soc main.lua [--simulate N]",
        subcommands: [
            StationCommand.self,
            BuildScript.self,
            ConsoleCommand.self,
            Doctor.self,
            Flash.self,
            Inspect.self,
            PoolCommand.self,
            QAServerCommand.self,
            Report.self,
            SetupUdev.self,
            Sim.self,
            Verify.self,
            Watch.self,
        ],
        defaultSubcommand: StationCommand.self
    )

    /// As ArgumentParser's own entry point, except that a command line it cannot parse exits
    /// with 2, the code every bad input gets here (ArgumentParser would use 64), and says so in
    /// one `provision: …` line like every other bad input (ArgumentParser adds help and usage
    /// lines; `--help` still prints those).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                let message = message(for: error).split(whereSeparator: \.isNewline)
                    .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: "; ")
                FileHandle.standardError.write(Data("provision: \(message) (see --help)\n".utf8))
                Foundation.exit(ProvisionExit.inputError)
            }
            exit(withError: error)
        }
    }
}

/// `provision sim …`: simulated boards and synthetic fixtures, so everything can be tried
/// without vendor files or hardware.
struct Sim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulated boards and synthetic firmware fixtures.",
        subcommands: [
            MakeSoc.self,
            MakeFSKV.self,
            SimBoard.self,
            SimGadget.self,
            SimLineBound.self,
            SimFaults.self,
        ]
    )
}
