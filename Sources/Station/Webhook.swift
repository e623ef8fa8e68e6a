import AsyncHTTPClient
import Foundation
import NIOCore
import Records
import Vocabulary

/// One board's final record as the webhook posts it (JSON, snake_case keys), so a line's MES
/// can collect results without reading the results store. Absent values are sent as `null`, so
/// every record has the same keys.
public struct BoardRecordPayload: Sendable, Codable, Equatable {
    /// One pipeline step (the payload keeps the key `phases`): its name, wall time and outcome
    /// (`ok`, `fail`, `skipped`, `interrupted`).
    public struct Phase: Sendable, Codable, Equatable {
        public var name: String
        public var seconds: Double
        public var outcome: String

        public init(name: String, seconds: Double, outcome: String) {
            self.name = name
            self.seconds = seconds
            self.outcome = outcome
        }
    }

    public var runID: String
    public var batch: String
    public var stationID: String
    /// The slot's physical USB path (`1-1.3`).
    public var slot: String
    public var slotLabel: String
    /// `pass`, `fail` or `interrupted`.
    public var status: RunStatus
    public var failureClass: FailureClass?
    /// The `StationStep` name of the step that failed (the payload keeps `failure_phase`).
    public var failurePhase: String?
    public var detail: String?
    public var imei: String?
    public var iccid: String?
    public var firmwareSHA256: String?
    public var scriptSHA256: String?
    public var startedAt: Date
    public var endedAt: Date?
    public var phases: [Phase]
    /// The per-board data row the board was given (`pool:keys`, `row17`): its reference, never its values.
    public var boardDataSource: String? = nil
    public var boardDataRow: String? = nil
    /// The identity gates' results, and the earlier passed run this one reworks.
    public var gates: [GateResult] = []
    public var reworkOf: String? = nil

    public init(runID: String, batch: String, stationID: String, slot: String, slotLabel: String, status: RunStatus,
                failureClass: FailureClass? = nil, failurePhase: String? = nil, detail: String? = nil, imei: String? = nil,
                iccid: String? = nil, firmwareSHA256: String? = nil, scriptSHA256: String? = nil,
                startedAt: Date, endedAt: Date? = nil, phases: [Phase] = []) {
        self.runID = runID
        self.batch = batch
        self.stationID = stationID
        self.slot = slot
        self.slotLabel = slotLabel
        self.status = status
        self.failureClass = failureClass
        self.failurePhase = failurePhase
        self.detail = detail
        self.imei = imei
        self.iccid = iccid
        self.firmwareSHA256 = firmwareSHA256
        self.scriptSHA256 = scriptSHA256
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.phases = phases
    }

    /// The payload for a run read back from the results store.
    public init(run: RunRecord) {
        self.init(runID: run.runID, batch: run.batch, stationID: run.stationID, slot: run.slotPath,
                  slotLabel: run.slotLabel, status: run.status, failureClass: run.failureClass,
                  failurePhase: run.failurePhase, detail: run.detail, imei: run.imei, iccid: run.iccid,
                  firmwareSHA256: run.firmwareSHA256, scriptSHA256: run.scriptSHA256, startedAt: run.startedAt,
                  endedAt: run.finishedAt,
                  phases: run.phases.map { Phase(name: $0.name, seconds: $0.duration, outcome: $0.outcome) })
        boardDataSource = run.boardData?.source
        boardDataRow = run.boardData?.row
        gates = run.gates
        reworkOf = run.reworkOf
    }

    enum CodingKeys: String, CodingKey {
        case runID = "run_id", batch, stationID = "station_id", slot, slotLabel = "slot_label", status
        case failureClass = "failure_class", failurePhase = "failure_phase", detail, imei, iccid
        case firmwareSHA256 = "firmware_sha256", scriptSHA256 = "script_sha256"
        case startedAt = "started_at", endedAt = "ended_at", phases
        case boardDataSource = "board_data_source", boardDataRow = "board_data_row", gates, reworkOf = "rework_of"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(runID, forKey: .runID)
        try c.encode(batch, forKey: .batch)
        try c.encode(stationID, forKey: .stationID)
        try c.encode(slot, forKey: .slot)
        try c.encode(slotLabel, forKey: .slotLabel)
        try c.encode(status, forKey: .status)
        // `encode` (not `encodeIfPresent`) writes null for an absent value.
        try c.encode(failureClass, forKey: .failureClass)
        try c.encode(failurePhase, forKey: .failurePhase)
        try c.encode(detail, forKey: .detail)
        try c.encode(imei, forKey: .imei)
        try c.encode(iccid, forKey: .iccid)
        try c.encode(firmwareSHA256, forKey: .firmwareSHA256)
        try c.encode(scriptSHA256, forKey: .scriptSHA256)
        try c.encode(startedAt, forKey: .startedAt)
        try c.encode(endedAt, forKey: .endedAt)
        try c.encode(phases, forKey: .phases)
        try c.encode(boardDataSource, forKey: .boardDataSource)
        try c.encode(boardDataRow, forKey: .boardDataRow)
        try c.encode(gates, forKey: .gates)
        try c.encode(reworkOf, forKey: .reworkOf)
    }
}

/// A webhook that cannot be used as configured.
public struct WebhookError: Error, Equatable, Sendable, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}

/// Posts each board's final record to a URL (an MES collector), in order, in the background.
///
/// A webhook must never block or fail a slot: `post` only queues the record; one background task
/// delivers the queue in order, retrying connection errors and 5xx answers with a short backoff
/// (100 ms, 400 ms, 1.6 s…). A record that still fails is counted in `failures` with its reason.
/// The poster itself keeps nothing across starts: the station queues each record in the store's
/// webhook outbox with its verdict and takes it out in `onDelivered`, so what is given up on here
/// stays in the store and is posted again at the next start (delivery is at least once; the
/// collector keys records by `run_id`).
///
/// Call `shutdown()` before dropping a poster (after `drain`): its HTTP client must be shut down.
public actor WebhookPoster {
    public let url: String
    /// Per attempt.
    public let timeout: Duration
    public let attempts: Int

    /// Records delivered (answered 2xx).
    public private(set) var delivered = 0
    /// Why each record that was given up on failed, in order.
    public private(set) var failures: [String] = []

    /// Called with a record's run id once the collector answered 2xx.
    public typealias DeliveredHandler = @Sendable (_ runID: String) async -> Void

    private let client: HTTPClient
    private let onDelivered: DeliveredHandler?
    private var queue: [Pending] = []
    private var inFlight: Pending?
    private var worker: Task<Void, Never>?
    private var isShutDown = false

    private struct Pending: Sendable {
        let runID: String
        let body: Data
    }

    /// Refuses a URL that is not http(s), or fewer than one attempt.
    public init(url: String, timeout: Duration = .seconds(5), attempts: Int = 3,
                onDelivered: DeliveredHandler? = nil) throws {
        let lower = url.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://"),
              let parts = URLComponents(string: url), !(parts.host ?? "").isEmpty else {
            throw WebhookError(reason: "webhook: \"\(url)\" is not an http:// or https:// URL")
        }
        guard attempts >= 1 else { throw WebhookError(reason: "webhook: attempts must be at least 1 (got \(attempts))") }
        guard timeout > .zero else { throw WebhookError(reason: "webhook: the timeout must be positive") }
        self.url = url
        self.timeout = timeout
        self.attempts = attempts
        self.onDelivered = onDelivered
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout.connect = Self.timeAmount(timeout)
        // Our own retries (with backoff, counted) replace the pool's silent reconnect loop, which
        // would otherwise keep a refused connection going until the request's deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// The JSON body posted for `record`: sorted keys, times ISO 8601 UTC with milliseconds.
    public static func body(_ record: BoardRecordPayload) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            var c = encoder.singleValueContainer()
            try c.encode(formatter.string(from: date))
        }
        return try encoder.encode(record)
    }

    /// Queues `record` for delivery and returns at once.
    public func post(_ record: BoardRecordPayload) {
        guard !isShutDown else {
            failures.append("run \(record.runID): not posted, the webhook was already shut down")
            return
        }
        do {
            queue.append(Pending(runID: record.runID, body: try Self.body(record)))
        } catch {
            failures.append("run \(record.runID): cannot encode the record: \(error)")
            return
        }
        if worker == nil {
            worker = Task { await self.deliverQueue() }
        }
    }

    /// Records queued or being delivered.
    public var pending: Int { queue.count + (inFlight == nil ? 0 : 1) }

    /// Waits until every queued record was delivered or given up on, or `timeout` passed.
    /// Returns whether the queue emptied in time.
    @discardableResult
    public func drain(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while worker != nil {
            guard ContinuousClock.now < deadline else { return false }
            do { try await Task.sleep(for: .milliseconds(10)) } catch { return false }
        }
        return true
    }

    /// Stops delivering (what is still queued counts as failed) and shuts the HTTP client down.
    public func shutdown() async {
        guard !isShutDown else { return }
        isShutDown = true
        if let worker {
            worker.cancel()
            await worker.value
        }
        for record in queue {
            failures.append("run \(record.runID): not delivered before the webhook was shut down")
        }
        queue.removeAll()
        try? await client.shutdown()
    }

    // MARK: Delivery

    private func deliverQueue() async {
        while !queue.isEmpty, !Task.isCancelled {
            let next = queue.removeFirst()
            inFlight = next
            if let failure = await deliver(next) {
                failures.append(failure)
            } else {
                delivered += 1
                await onDelivered?(next.runID)
            }
            inFlight = nil
        }
        worker = nil
    }

    /// Posts one record, retrying; returns why it failed, or nil when it was delivered.
    private func deliver(_ record: Pending) async -> String? {
        var problem = "not attempted"
        for attempt in 1...attempts {
            if attempt > 1 {
                do { try await Task.sleep(for: Self.backoff(beforeAttempt: attempt)) } catch { break }
            }
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "User-Agent", value: "provision-station")
            request.body = .bytes(ByteBuffer(bytes: record.body))
            do {
                let response = try await client.execute(request, timeout: Self.timeAmount(timeout))
                // Read the (small) answer so the connection can be reused.
                _ = try? await response.body.collect(upTo: 64 * 1024)
                let code = Int(response.status.code)
                if (200..<300).contains(code) { return nil }
                problem = "HTTP \(code)"
                // A 4xx will not change on a retry: the collector refuses this record.
                if code < 500 { return "run \(record.runID): \(url) answered \(problem)" }
            } catch {
                if Task.isCancelled { problem = "cancelled (the webhook was shut down)"; break }
                problem = Self.describe(error)
            }
        }
        return "run \(record.runID): \(url): \(problem), gave up after \(attempts) attempt\(attempts == 1 ? "" : "s")"
    }

    /// 100 ms before the second attempt, then ×4 each time (400 ms, 1.6 s…).
    static func backoff(beforeAttempt attempt: Int) -> Duration {
        .milliseconds(100 * (1 << (2 * min(max(attempt - 2, 0), 5))))
    }

    private static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    private static func describe(_ error: Error) -> String {
        let text = String(describing: error)
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }
}
