/// Why a shared QA server could not be used, naming the server: a station's operator must be able
/// to tell a wrong token from a server that is down or one that answers nonsense.
public struct SharedQAServerError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The URL given for the server is not one (bad input).
        case badURL
        /// No connection, or no answer within the timeout.
        case unreachable
        /// 401: the admin token is missing or wrong (or the server has no admin token set).
        case tokenRefused
        /// Any other 4xx: the request was refused; the reason is the server's.
        case refused(status: Int)
        /// 5xx: the server failed (its session store, for one).
        case serverFailed(status: Int)
        /// 2xx, but not what the admin API answers (or numbers out of range).
        case badAnswer
    }

    public let serverURL: String
    public let kind: Kind
    public let reason: String

    public init(serverURL: String, kind: Kind, reason: String) {
        self.serverURL = serverURL
        self.kind = kind
        self.reason = reason
    }

    public var description: String { "QA server \(serverURL): \(reason)" }
}
