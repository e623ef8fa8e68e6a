import Hummingbird

/// The `Authorization: Bearer TOKEN` check of the HTTP APIs that take actions (the QA server's
/// /admin API, the station console's controls).
public enum BearerToken {
    /// Compares the whole header in constant time, so the token cannot be guessed byte by byte.
    public static func authorizes(_ request: Request, token: String) -> Bool {
        guard let header = request.headers[.authorization] else { return false }
        let given = Array(header.utf8), wanted = Array("Bearer \(token)".utf8)
        guard given.count == wanted.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<given.count { diff |= given[i] ^ wanted[i] }
        return diff == 0
    }
}
