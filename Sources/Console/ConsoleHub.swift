import Foundation

/// The pages listening on `/events`: each gets the Server-Sent Events the console pushes.
actor ConsoleHub {
    private var pages: [UUID: AsyncStream<String>.Continuation] = [:]
    /// Messages pushed to pages (one per page per push): the benchmark's figure.
    private(set) var messagesSent = 0

    /// A new page's stream; it starts with `first` (the snapshot).
    func join(first: String) -> (UUID, AsyncStream<String>) {
        // A page that stops reading loses the oldest pushes, never holds the station up; the
        // next snapshot (it reconnects) makes it whole.
        let (stream, sink) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(256))
        let id = UUID()
        sink.yield(first)
        pages[id] = sink
        return (id, stream)
    }

    func leave(_ id: UUID) {
        pages.removeValue(forKey: id)?.finish()
    }

    func push(_ message: String) {
        for sink in pages.values { sink.yield(message) }
        messagesSent += pages.count
    }

    var pageCount: Int { pages.count }

    func closeAll() {
        pages.values.forEach { $0.finish() }
        pages = [:]
    }
}

/// Server-Sent Events framing (the WHATWG HTML standard, "Server-sent events").
enum SSE {
    /// How long a page waits before reconnecting (a restarted station): sent first on every stream.
    static let retryMilliseconds = 2000

    static func message(_ event: String, _ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        // JSON from JSONEncoder has no raw newline, so one data line carries it.
        return "event: \(event)\ndata: \(json)\n\n"
    }

    static var retry: String { "retry: \(retryMilliseconds)\n\n" }
    /// A comment line keeps proxies and idle timers from closing a quiet stream.
    static let keepAlive = ": keep-alive\n\n"
}
