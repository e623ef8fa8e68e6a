import Foundation
import Hummingbird

/// Station-facing endpoints of a shared QA server (`/admin/…`), so several stations on a line
/// can open sessions and read evidence remotely (`SharedQAServerClient` is the station's side).
/// Enabled only with an admin token; every call must carry `Authorization: Bearer <token>`.
/// Errors are JSON `{"error": reason}`; a session store that fails answers 503.
enum QAAdminRoutes {
    struct NewSession: Decodable {
        let boardID: String
        let plan: QAPlan?
        enum CodingKeys: String, CodingKey { case boardID = "board_id", plan }
    }

    /// What `POST /admin/sessions/<id>/verdict` carries: the board's own account, read by the
    /// station from the board's x.6 port, which the verdict uses to classify failures.
    struct VerdictRequest: Codable {
        let boardEvents: [QABoardEvent]
        enum CodingKeys: String, CodingKey { case boardEvents = "board_events" }
    }

    /// Largest request body the admin API reads: a plan, or a board's events for one session.
    static let bodyLimit = 1 << 20

    static func add(to router: Router<BasicRequestContext>, token: String, state: QAServerState,
                    certificatePEM: String?,
                    addresses: @escaping @Sendable () async throws -> QAServerAddresses,
                    createSession: @escaping @Sendable (String, QAPlan) async throws -> QASessionTicket) {
        @Sendable func authorized(_ request: Request) -> Bool { BearerToken.authorizes(request, token: token) }
        @Sendable func reply(_ status: HTTPResponse.Status, _ value: any Encodable) -> Response {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let body = (try? encoder.encode(value)).map { [UInt8]($0) } ?? []
            return Response(status: status, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        /// Runs `body`; a failing session store is a 503 naming the reason, so a station can tell
        /// "the server's store is down" from "no such session".
        @Sendable func stored(_ body: () async throws -> Response) async -> Response {
            do { return try await body() } catch { return reply(.serviceUnavailable, ["error": "\(error)"]) }
        }
        let denied = ["error": "missing or wrong admin token"]
        let unknown = ["error": "unknown session"]
        router.post("/admin/sessions") { request, _ in
            guard authorized(request) else { return reply(.unauthorized, denied) }
            var request = request
            guard let body = try? await request.collectBody(upTo: bodyLimit),
                  let new = try? JSONDecoder().decode(NewSession.self, from: Data(body.readableBytesView)) else {
                return reply(.badRequest, ["error": "expected {\"board_id\": …, \"plan\": …}"])
            }
            let plan = new.plan ?? QAPlan()
            // Checked here, before a session exists: an unauthenticated board request for it must
            // never meet a size the content routes cannot serve.
            do { try plan.validate() } catch { return reply(.badRequest, ["error": "\(error)"]) }
            return await stored { reply(.ok, try await createSession(new.boardID, plan)) }
        }
        // Where boards are sent, so a remote station can show it and knows whether there is an
        // https check (then it fetches the CA below).
        router.get("/admin/server") { request, _ in
            guard authorized(request) else { return reply(.unauthorized, denied) }
            return await stored { reply(.ok, try await addresses()) }
        }
        // The station certificate, which a remote station builds into each board's image as ca_file.
        router.get("/admin/ca.pem") { request, _ in
            guard authorized(request) else { return reply(.unauthorized, denied) }
            guard let certificatePEM else { return reply(.notFound, ["error": "this server has no https listener"]) }
            return Response(status: .ok, headers: [.contentType: "application/x-pem-file"],
                            body: .init(byteBuffer: ByteBuffer(bytes: Array(certificatePEM.utf8))))
        }
        router.get("/admin/sessions/:sid") { request, context in
            guard authorized(request) else { return reply(.unauthorized, denied) }
            return await stored {
                guard let evidence = try await state.evidence(context.parameters.get("sid") ?? "") else {
                    return reply(.notFound, unknown)
                }
                return reply(.ok, evidence)
            }
        }
        // A station that is done with a session takes its evidence and verdict over; the server
        // forgets it then, so a shared server's memory follows the boards in progress, not the shift.
        router.delete("/admin/sessions/:sid") { request, context in
            guard authorized(request) else { return reply(.unauthorized, denied) }
            return await stored {
                guard let (evidence, elapsed) = try await state.take(context.parameters.get("sid") ?? "") else {
                    return reply(.notFound, unknown)
                }
                return reply(.ok, QASessionHandover(evidence: evidence,
                                                    verdict: QAJudge.verdict(evidence: evidence, elapsedMs: elapsed)))
            }
        }
        // The verdict on the server's evidence alone.
        router.get("/admin/sessions/:sid/verdict") { request, context in
            guard authorized(request) else { return reply(.unauthorized, denied) }
            return await stored {
                guard let (evidence, elapsed) = try await state.evidenceAndAge(context.parameters.get("sid") ?? "") else {
                    return reply(.notFound, unknown)
                }
                return reply(.ok, QAJudge.verdict(evidence: evidence, elapsedMs: elapsed))
            }
        }
        // The verdict as an in-process station gets it: the server's evidence with the board
        // events the station read from the board's x.6 port.
        router.post("/admin/sessions/:sid/verdict") { request, context in
            guard authorized(request) else { return reply(.unauthorized, denied) }
            var request = request
            guard let body = try? await request.collectBody(upTo: bodyLimit),
                  let asked = try? JSONDecoder().decode(VerdictRequest.self, from: Data(body.readableBytesView)) else {
                return reply(.badRequest, ["error": "expected {\"board_events\": [...]} of at most \(bodyLimit) bytes"])
            }
            return await stored {
                guard let (evidence, elapsed) = try await state.evidenceAndAge(context.parameters.get("sid") ?? "") else {
                    return reply(.notFound, unknown)
                }
                return reply(.ok, QAJudge.verdict(evidence: evidence, boardEvents: asked.boardEvents, elapsedMs: elapsed))
            }
        }
    }
}

/// Where a QA server sends boards (`GET /admin/server`).
public struct QAServerAddresses: Sendable, Equatable, Codable {
    public let publicURL: String
    /// Nil when the server has no https listener (no https check, no CA).
    public let publicHTTPSURL: String?

    public init(publicURL: String, publicHTTPSURL: String?) {
        self.publicURL = publicURL
        self.publicHTTPSURL = publicHTTPSURL
    }

    enum CodingKeys: String, CodingKey {
        case publicURL = "public_url"
        case publicHTTPSURL = "public_https_url"
    }
}
