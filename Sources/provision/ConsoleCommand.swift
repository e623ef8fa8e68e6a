import ArgumentParser
import Console
import Dispatch
import Firmware
import Foundation
import Glibc
import Records

/// `provision console --db URL`: the line's page from the shared store (every station's slots
/// and the line's counters), without being a station.
struct ConsoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "Serve the line's live page from the shared store: every station's slots and the line's counters.",
        discussion: """
            Stations on a shared (PostgreSQL) store write their slots' states to it; this page reads \
            them every second and pushes them to browsers (Server-Sent Events). Viewing only: the \
            operator's actions are on each station's own console (--console).
            """)

    @Option(help: "The shared results store (postgres://user@host:port/db; sqlite:PATH works on one machine).")
    var db: String

    @Option(help: ArgumentHelp("Address the page is served at (default 127.0.0.1:8780).", valueName: "HOST:PORT"))
    var listen = "127.0.0.1:8780"

    @Option(help: "The counters cover boards decided in the last N hours (a shift).")
    var hours = 12

    func run() async throws {
        do {
            guard let address = HostPort(listen) else {
                throw StationInputError("--listen \(listen): not \(HostPort.form)")
            }
            _ = try OptionBounds.check(hours, "--hours", 1...(24 * 366), "hours")
            // Reached once now, so a wrong URL or a store that is down says so and exits.
            let check = try await StoreURL.open(db)
            let label = check.label
            await check.close()
            let state = ConsoleState(mode: "line", title: "line · \(label)", station: "", actions: false)
            let server = ConsoleServer(state: state, listen: address, token: nil, actions: nil, storeURL: db)
            let port = try await server.start()
            await server.followLine(window: TimeInterval(hours) * 3600)
            FileHandle.standardOutput.write(Data(
                "console: http://\(HostPort(host: address.host, port: port))/ (line view of \(label))\n".utf8))
            await Self.waitForSignal()
            _ = await server.stop()
        } catch {
            throw fail(error)
        }
    }

    /// Returns at SIGINT or SIGTERM.
    private static func waitForSignal() async {
        let (signals, sink) = AsyncStream.makeStream(of: Int32.self)
        let sources = [SIGINT, SIGTERM].map { number -> DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { sink.yield(number) }
            source.resume()
            return source
        }
        for await _ in signals { break }
        sources.forEach { $0.cancel() }
    }
}
