import Foundation

/// One reading of "a web URL with a host", for every URL the project is given (a QA server's,
/// a webhook's, the ones a shared server hands out): the scheme compared without case, as URLs
/// define it.
public enum WebURL {
    /// Whether `text` parses as a URL with one of `schemes` (lowercase) and a non-empty host.
    public static func isValid(_ text: String, schemes: Set<String> = ["http", "https"]) -> Bool {
        host(of: text, schemes: schemes) != nil
    }

    /// The host of `text` when it is such a URL (lowercased, IPv6 without brackets); nil otherwise.
    public static func host(of text: String, schemes: Set<String> = ["http", "https"]) -> String? {
        guard let parts = URLComponents(string: text), let scheme = parts.scheme?.lowercased(),
              schemes.contains(scheme), var host = parts.host?.lowercased(), !host.isEmpty else { return nil }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host
    }
}
