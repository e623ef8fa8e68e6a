import ArgumentParser
import Foundation
import Firmware
import QA
import Records

/// `--soc` and `--agentboot`: the firmware package a flashing command writes.
struct FirmwarePackageOptions: ParsableArguments {
    @Option(help: "The .soc firmware package.")
    var soc: String

    @Option(name: .customLong("agentboot"), help: "AgentBoot file to use instead of the one inside the .soc.")
    var agentBoot: String?

    func open() throws -> SocPackage { try SocPackage.open(path: soc, agentBootPath: agentBoot) }
}

/// `--profile`: the board profile, by name or path.
struct BoardProfileOption: ParsableArguments {
    /// The profile used when neither the option nor a station.toml names one.
    static let defaultName = "air780e"

    @Option(help: "Board profile (name or .toml path; default \(BoardProfileOption.defaultName)): USB identities, port roles, deadlines, the QA plan.")
    var profile: String?

    /// The named profile, else `fallback` (station.toml's), else the default.
    func load(fallback: String? = nil) throws -> Profile { try Profile.load(profile ?? fallback ?? Self.defaultName) }
}

/// `--tls-cert` and `--tls-key`: the certificate of the https check's listener.
struct TLSPairOptions: ParsableArguments {
    @Option(name: .customLong("tls-cert"), help: "Certificate (PEM) of the https check's listener (default: a fresh self-signed one made at start).")
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: "Private key (PEM) of --tls-cert.")
    var tlsKey: String?

    var isGiven: Bool { tlsCert != nil || tlsKey != nil }

    /// The pair as an identity; nil when neither is given.
    func identity() throws -> QATLSIdentity? {
        switch (tlsCert, tlsKey) {
        case (let cert?, let key?): return try QATLSIdentity.load(certificate: cert, key: key)
        case (nil, nil): return nil
        default: throw TLSPairError()
        }
    }
}

struct TLSPairError: ProvisionFailure {
    var description: String { "--tls-cert and --tls-key go together" }
    var exitCode: Int32 { ProvisionExit.inputError }
}

/// `--db`: the results store.
struct StoreOption: ParsableArguments {
    @Option(help: "Results store: sqlite:PATH or postgres://user@host:port/db (default \(StoreURL.defaultURL) or station.toml's store; qa-server: sessions in memory).")
    var db: String?
}

/// `--console` and `--console-token`: the station's live page and the token its actions need.
struct ConsoleOptions: ParsableArguments {
    @Option(name: .customLong("console"), help: ArgumentHelp(
        "Serve the station's live page at HOST:PORT, or PORT on 127.0.0.1 (default off; station.toml station.console).",
        valueName: "HOST:PORT"))
    var console: String?

    @Option(name: .customLong("console-token"), help: "The token the page's actions (hold, release, scanned label, stop taking boards) must carry (default: $\(ConsoleOptions.tokenVariable)); a console on any address but loopback needs one.")
    var token: String?

    static let tokenVariable = "PROVISION_CONSOLE_TOKEN"

    /// The console's address and token, from the option or station.toml's `station.console`;
    /// nil when neither asks for a console.
    func resolve(configured: String?) throws -> (listen: HostPort, token: String?)? {
        guard let spec = console ?? configured else { return nil }
        let given = console != nil ? "--console \(spec)" : "station.console \(spec)"
        let address = spec.allSatisfy(\.isNumber) ? HostPort("127.0.0.1:\(spec)") : HostPort(spec)
        guard let address else { throw StationInputError("\(given): not \(HostPort.form) or PORT") }
        let token = (self.token ?? ProcessInfo.processInfo.environment[Self.tokenVariable]).flatMap { $0.isEmpty ? nil : $0 }
        if token == nil, !HostPort.isLoopback(address.host) {
            throw StationInputError("\(given): a console other machines can reach needs a token for its actions: "
                                    + "--console-token TOKEN or $\(Self.tokenVariable) (or bind 127.0.0.1)")
        }
        return (address, token)
    }
}
