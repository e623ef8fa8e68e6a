import Foundation
import Hummingbird
import NIOCore
import QA
import Records

/// The console's HTTP surface. Viewing needs nothing; actions (POST) need the console token as
/// `Authorization: Bearer …`. Errors are JSON `{"error": reason}`.
enum ConsoleRoutes {
    struct SlotAction: Decodable {
        let slot: String
        let label: String?
    }

    /// Largest action body read: a slot path and a scanned label.
    static let bodyLimit = 4096
    /// Longest scanned label kept (a barcode or QR payload).
    static let labelLimit = 256

    static func router(console: ConsoleServer) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        let state = console.state, hub = console.hub, actions = console.actions, token = console.token
        let store = console.store

        router.get("/") { _, _ in text(ConsolePage.html, type: "text/html; charset=utf-8") }
        router.get("/console.css") { _, _ in text(ConsolePage.css, type: "text/css; charset=utf-8") }
        router.get("/console.js") { _, _ in text(ConsolePage.js, type: "text/javascript; charset=utf-8") }
        router.get("/api/snapshot") { _, _ in json(.ok, await state.snapshot()) }
        router.get("/events") { _, _ -> Response in
            let (id, stream) = await hub.join(first: SSE.retry + SSE.message("snapshot", await state.snapshot()))
            return Response(status: .ok,
                            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                            body: ResponseBody { writer in
                                do {
                                    for await message in stream { try await writer.write(ByteBuffer(string: message)) }
                                } catch {
                                    await hub.leave(id)
                                    throw error
                                }
                                await hub.leave(id)
                                try await writer.finish(nil)
                            })
        }
        router.get("/board/:run") { _, context -> Response in
            guard let run = context.parameters.get("run") else { return json(.badRequest, ["error": "no run"]) }
            guard let store else { return json(.notFound, ["error": "this console keeps no board records"]) }
            do {
                let records = try await store.open()
                guard let record = try await records.runs(RunQuery(runID: run)).first else {
                    return text(ConsoleBoardPage.missing(run), type: "text/html; charset=utf-8", status: .notFound)
                }
                let events = try await records.events(runID: run)
                return text(ConsoleBoardPage.html(record, events: events), type: "text/html; charset=utf-8")
            } catch {
                return json(.serviceUnavailable, ["error": "the store cannot be read: \(error)"])
            }
        }

        /// Checks the token, reads the body, and runs the action.
        @Sendable func action(_ request: Request, needsSlot: Bool,
                              _ run: @Sendable (any ConsoleActions, SlotAction?) async throws -> Response) async -> Response {
            guard let actions, let token else {
                return json(.forbidden, ["error": "this console has no actions (the station has no console token)"])
            }
            guard BearerToken.authorizes(request, token: token) else {
                return json(.unauthorized, ["error": "missing or wrong console token"],
                            extra: [.wwwAuthenticate: "Bearer"])
            }
            var body: SlotAction?
            if needsSlot {
                var request = request
                guard let bytes = try? await request.collectBody(upTo: bodyLimit),
                      let decoded = try? JSONDecoder().decode(SlotAction.self, from: Data(bytes.readableBytesView)) else {
                    return json(.badRequest, ["error": "expected {\"slot\": PATH}"])
                }
                guard await state.hasSlot(decoded.slot) else {
                    return json(.notFound, ["error": "no slot \(decoded.slot) on this station"])
                }
                body = decoded
            }
            do { return try await run(actions, body) } catch { return json(.badRequest, ["error": "\(error)"]) }
        }
        router.post("/api/hold") { request, _ in
            await action(request, needsSlot: true) { actions, body in
                let slot = body!.slot
                await actions.hold(slot: slot)
                await state.setHeld(slot: slot, true)
                return json(.ok, ["held": slot])
            }
        }
        router.post("/api/release") { request, _ in
            await action(request, needsSlot: true) { actions, body in
                let slot = body!.slot
                await actions.release(slot: slot)
                await state.setHeld(slot: slot, false)
                return json(.ok, ["released": slot])
            }
        }
        router.post("/api/label") { request, _ in
            await action(request, needsSlot: true) { actions, body in
                let slot = body!.slot
                let label = (body!.label ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                guard !label.isEmpty, label.count <= labelLimit,
                      !label.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }) else {
                    return json(.badRequest, ["error": "a scanned label is 1 to \(labelLimit) printable characters"])
                }
                await actions.scanned(label: label, slot: slot)
                await state.setScannedLabel(slot: slot, label)
                return json(.ok, ["slot": slot, "label": label])
            }
        }
        router.post("/api/stop") { request, _ in
            await action(request, needsSlot: false) { actions, _ in
                await actions.stopTakingBoards()
                await state.stoppedTakingBoards()
                return json(.ok, ["taking_boards": "no"])
            }
        }
        return router
    }

    static func text(_ body: String, type: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: type, .cacheControl: "no-cache"],
                 body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func json(_ status: HTTPResponse.Status, _ value: some Encodable, extra: HTTPFields = [:]) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let body = (try? encoder.encode(value)).map { [UInt8]($0) } ?? []
        var headers: HTTPFields = [.contentType: "application/json"]
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
