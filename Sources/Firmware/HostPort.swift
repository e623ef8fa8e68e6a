/// A host name or IP (IPv6 without brackets) and a port: the one `HOST:PORT` of the project,
/// for the QA server's listen address and the simulated boards' host map alike.
public struct HostPort: Sendable, Equatable, CustomStringConvertible {
    public let host: String
    public let port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// What `init?(_:)` accepts, for error messages.
    public static let form = "HOST:PORT (port 0-65535; IPv6 as [ADDR]:PORT)"

    /// Parses `HOST:PORT`, or `[IPv6]:PORT`.
    public init?(_ value: String) {
        let host: Substring, port: Substring
        if value.hasPrefix("[") {
            guard let close = value.range(of: "]:") else { return nil }
            host = value[value.index(after: value.startIndex)..<close.lowerBound]
            port = value[close.upperBound...]
        } else {
            guard let colon = value.lastIndex(of: ":") else { return nil }
            host = value[..<colon]
            port = value[value.index(after: colon)...]
            guard !host.contains(":") else { return nil }
        }
        guard !host.isEmpty, !host.contains(where: \.isWhitespace),
              !port.isEmpty, port.count <= 5, port.allSatisfy({ ("0"..."9").contains($0) }),
              let number = Int(port), (0...65535).contains(number) else { return nil }
        self.init(host: String(host), port: number)
    }

    /// 127.0.0.0/8, ::1 and `localhost`: this machine.
    public static func isLoopback(_ host: String) -> Bool {
        if host.lowercased() == "localhost" || host == "::1" || host == "[::1]" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets.allSatisfy({ UInt8($0) != nil }) else { return false }
        return octets[0] == "127"
    }
}

/// `NAME=HOST:PORT`: a host name the simulated boards resolve to an address on this machine
/// (`--sim-host`, station.toml `simulation.hosts`). One parser for both.
public struct HostMapping: Sendable, Equatable, CustomStringConvertible {
    public let name: String
    public let address: HostPort

    public init(name: String, address: HostPort) {
        self.name = name
        self.address = address
    }

    /// What `init?(_:)` accepts, for error messages.
    public static let form = "NAME=\(HostPort.form)"

    /// Parses `NAME=HOST:PORT`.
    public init?(_ text: String) {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, let address = HostPort(parts[1]) else { return nil }
        self.init(name: parts[0], address: address)
    }

    public var description: String { "\(name)=\(address)" }
}
