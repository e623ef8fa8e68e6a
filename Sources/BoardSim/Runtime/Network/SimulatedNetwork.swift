import Firmware

/// What the simulated board's 4G link can reach: this machine only. A host name an app uses is
/// mapped to a local address (`--sim-host NAME=HOST:PORT`); any other name fails the way an
/// unknown name fails on the board (a DNS failure, code -5), and an address off this machine is
/// never connected to. No lookup and no packet leaves the machine for a simulated board.
public struct SimulatedNetwork: Sendable, Equatable {
    /// A local address a name is mapped to.
    public typealias Endpoint = HostPort

    /// Where a request for a URL's host goes.
    public enum Route: Sendable, Equatable {
        /// Connect here (always an address on this machine).
        case connect(Endpoint)
        /// The name is not mapped: the board's resolver fails.
        case unknownName
        /// An address literal off this machine: no connection is attempted.
        case offMachine
    }

    /// Mapped names, lower-cased (DNS names are case-insensitive).
    public private(set) var hosts: [String: Endpoint] = [:]

    public init() {}

    /// Maps `name` to `endpoint`; refuses an endpoint that is not on this machine, so a mapping
    /// can never send a simulated board's traffic elsewhere.
    public mutating func map(_ name: String, to endpoint: Endpoint) throws(SimulatedNetworkError) {
        let key = name.lowercased()
        guard !key.isEmpty, !key.contains(where: { $0.isWhitespace || $0 == "/" || $0 == ":" }) else {
            throw SimulatedNetworkError(reason: "'\(name)' is not a host name")
        }
        guard HostPort.isLoopback(endpoint.host) else {
            throw SimulatedNetworkError(reason: "\(name) → \(endpoint): simulated boards only reach this machine "
                                        + "(127.0.0.0/8, ::1 or localhost)")
        }
        guard (1...65535).contains(endpoint.port) else {
            throw SimulatedNetworkError(reason: "\(name) → \(endpoint): port must be 1-65535")
        }
        hosts[key] = endpoint
    }

    /// Where a request to `host:port` (from a URL) goes.
    public func route(host: String, port: Int) -> Route {
        if let mapped = hosts[host.lowercased()] { return .connect(mapped) }
        if HostPort.isLoopback(host) { return .connect(Endpoint(host: host == "localhost" ? "127.0.0.1" : host, port: port)) }
        if Self.isAddressLiteral(host) { return .offMachine }
        return .unknownName
    }

    static func isAddressLiteral(_ host: String) -> Bool {
        if host.contains(":") { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.allSatisfy { UInt8($0) != nil }
    }
}

/// A `--sim-host` mapping that cannot be used.
public struct SimulatedNetworkError: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: String
    public init(reason: String) { self.reason = reason }
    public var description: String { "sim host: \(reason)" }
}
