import ArgumentParser

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
            Doctor.self,
            Flash.self,
            Inspect.self,
            QAServerCommand.self,
            Report.self,
            SetupUdev.self,
            Sim.self,
            Verify.self,
            Watch.self,
        ],
        defaultSubcommand: StationCommand.self
    )
}

/// `provision sim …`: simulated boards and synthetic fixtures, so everything can be tried
/// without vendor files or hardware.
struct Sim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulated boards and synthetic firmware fixtures.",
        subcommands: [
            MakeSoc.self,
            SimBoard.self,
        ]
    )
}
