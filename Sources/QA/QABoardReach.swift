import Firmware
import Foundation

/// Whether boards out on 4G can reach a QA server URL. A board reaches the server through its
/// carrier: a loopback address is this PC (only a board simulated on this machine, such as a USB
/// gadget, is there), a private address is reachable only through a private APN, anything else
/// is taken to be public.
public enum QABoardReach: Equatable, Sendable {
    case loopback
    /// RFC 1918, carrier-grade NAT (RFC 6598), IPv6 unique-local and link-local addresses.
    case privateNetwork
    case publicAddress

    /// The reach of `url`'s host (nil: not an http(s) URL with a host).
    public static func of(url: String) -> QABoardReach? {
        WebURL.host(of: url).map(of(host:))
    }

    public static func of(host: String) -> QABoardReach {
        if HostPort.isLoopback(host) || host.hasSuffix(".localhost") { return .loopback }
        if let v4 = ipv4(host) {
            switch (v4[0], v4[1]) {
            // 0.0.0.0/8 names no host at all: no board reaches it either.
            case (0, _): return .loopback
            case (10, _), (192, 168), (169, 254): return .privateNetwork
            case (172, 16...31): return .privateNetwork
            case (100, 64...127): return .privateNetwork
            default: return .publicAddress
            }
        }
        if host.contains(":") {
            if host.hasPrefix("fc") || host.hasPrefix("fd") || host.hasPrefix("fe80") { return .privateNetwork }
            if host == "::" { return .loopback }
        }
        return .publicAddress
    }

    private static func ipv4(_ host: String) -> [Int]? {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        let octets = parts.compactMap { Int($0) }.filter { (0...255).contains($0) }
        return octets.count == 4 ? octets : nil
    }
}
