import Foundation
import Hummingbird

/// Station-facing endpoints of a shared QA server (`/admin/…`), so several stations on a line
/// can open sessions and read evidence remotely. Enabled only with an admin token; every call
/// must carry `Authorization: Bearer <token>`.
enum QAAdminRoutes {
    struct NewSession: Decodable {
        let boardID: String
        let plan: QAPlan?
        enum CodingKeys: String, CodingKey { case boardID = "board_id", plan }
    }

    static func add(to router: Router<BasicRequestContext>, token: String, state: QAServerState,
                    certificatePEM: String?,
                    createSession: @escaping @Sendable (String, QAPlan) async -> QASessionTicket) {
        @Sendable func authorized(_ request: Request) -> Bool {
            guard let header = request.headers[.authorization] else { return false }
            let given = Array(header.utf8), wanted = Array("Bearer \(token)".utf8)
            guard given.count == wanted.count else { return false }
            var diff: UInt8 = 0
            for i in 0..<given.count { diff |= given[i] ^ wanted[i] }
            return diff == 0
        }
        @Sendable func reply(_ status: HTTPResponse.Status, _ value: some Encodable) -> Response {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let body = (try? encoder.encode(value)).map { [UInt8]($0) } ?? []
            return Response(status: status, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        let denied = ["error": "missing or wrong admin token"]
        router.post("/admin/sessions") { request, _ in
            guard authorized(request) else { return reply(.unauthorized, denied) }
            var request = request
            guard let body = try? await request.collectBody(upTo: 64 * 1024),
                  let new = try? JSONDecoder().decode(NewSession.self, from: Data(body.readableBytesView)) else {
                return reply(.badRequest, ["error": "expected {\"board_id\": …, \"plan\": …}"])
            }
            let plan = new.plan ?? QAPlan()
            // Checked here, before a session exists: an unauthenticated board request for it must
            // never meet a size the content routes cannot serve.
            do { try plan.validate() } catch { return reply(.badRequest, ["error": "\(error)"]) }
            return reply(.ok, await createSession(new.boardID, plan))
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
            guard let evidence = await state.evidence(context.parameters.get("sid") ?? "") else {
                return reply(.notFound, ["error": "unknown session"])
            }
            return reply(.ok, evidence)
        }
        // A station that is done with a session takes its evidence and verdict over; the server
        // forgets it then, so a shared server's memory follows the boards in progress, not the shift.
        router.delete("/admin/sessions/:sid") { request, context in
            guard authorized(request) else { return reply(.unauthorized, denied) }
            guard let (evidence, elapsed) = await state.take(context.parameters.get("sid") ?? "") else {
                return reply(.notFound, ["error": "unknown session"])
            }
            return reply(.ok, QASessionHandover(evidence: evidence,
                                                verdict: QAJudge.verdict(evidence: evidence, elapsedMs: elapsed)))
        }
        router.get("/admin/sessions/:sid/verdict") { request, context in
            guard authorized(request) else { return reply(.unauthorized, denied) }
            let sid = context.parameters.get("sid") ?? ""
            guard let evidence = await state.evidence(sid), let elapsed = await state.elapsedMs(sid) else {
                return reply(.notFound, ["error": "unknown session"])
            }
            return reply(.ok, QAJudge.verdict(evidence: evidence, elapsedMs: elapsed))
        }
    }
}
