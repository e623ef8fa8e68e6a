/// What a station needs from QA sessions, wherever the server runs: the station's own
/// `QAServer` in process (the default), or a shared `provision qa-server` reached over its
/// `/admin` API (`SharedQAServerClient`). Every requirement may throw because a shared server can
/// be unreachable; the in-process server never throws.
public protocol QASessionService: Sendable {
    /// The base URL boards are given (`<publicURL>/qa/<session id>` is a board's session).
    var publicURL: String { get async throws }
    /// The certificate boards trust for the https check, built into each QA image as its CA;
    /// nil when the server has no https listener (no https check).
    var caPEM: String? { get async throws }
    /// Opens a session for one board: a fresh session id, nonce and key, and the plan it runs.
    func createSession(boardID: String, plan: QAPlan) async throws -> QASessionTicket
    /// The verdict as of now from the server's evidence and the events the station read from the
    /// board's x.6 port; nil when the server has no such session (closed, expired or never opened).
    func verdict(sessionID: String, boardEvents: [QABoardEvent]) async throws -> QAVerdict?
    /// Forgets a judged session (one already gone is not an error).
    func closeSession(_ sessionID: String) async throws
}

extension QAServer: QASessionService {}
