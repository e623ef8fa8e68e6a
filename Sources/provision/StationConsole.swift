import Console
import Firmware
import Station

/// The station's console as the command line starts it: the live page (`--console`), and the
/// slots' states written to a shared (PostgreSQL) store for the line view, which a station on a
/// shared store does with or without a page of its own.
struct StationConsole {
    let server: ConsoleServer
    let controls: StationControls
    let stationID: String
    let writesSlotStates: Bool

    static func start(inputs: StationInputs, display: StationDisplay) async throws -> StationConsole? {
        let shared = ["postgres://", "postgresql://"].contains { inputs.storeURL.hasPrefix($0) }
        guard inputs.console != nil || shared else { return nil }
        let controls = StationControls()
        let state = ConsoleState(title: "\(inputs.stationID) · \(inputs.batch)", station: inputs.stationID,
                                 actions: inputs.consoleToken != nil)
        let server = ConsoleServer(state: state, listen: inputs.console ?? HostPort(host: "127.0.0.1", port: 0),
                                   token: inputs.consoleToken, actions: controls, storeURL: inputs.storeURL)
        let port = try await server.start(serve: inputs.console != nil)
        if shared { await server.writeSlotStates(stationID: inputs.stationID) }
        if let listen = inputs.console {
            let url = "http://\(HostPort(host: listen.host, port: port))/"
            display.note("console: \(url)" + (inputs.consoleToken == nil ? " (view only: no --console-token)" : ""))
        }
        return StationConsole(server: server, controls: controls, stationID: inputs.stationID, writesSlotStates: shared)
    }

    func stop(display: StationDisplay) async {
        let figures = await server.stop(stationID: writesSlotStates ? stationID : nil)
        display.note("console: \(figures.eventsApplied) station event(s) applied, "
                     + "\(figures.messagesSent) update(s) pushed to pages")
    }
}

extension ConsoleError: ProvisionFailure {
    var exitCode: Int32 { ProvisionExit.environmentError }
}
