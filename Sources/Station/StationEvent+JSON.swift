import Foundation
import Records
import Vocabulary

extension StationEvent {
    /// The flat JSON object of one event, as `--json` prints it for MES systems, the store keeps
    /// it and a webhook posts it: `{"at","slot","label","run","event", …fields of the event}`.
    public var jsonFields: [String: JSONField] {
        var f: [String: JSONField] = [
            "at": .string(ISO8601DateFormatter.withMilliseconds.string(from: at)),
            "slot": .string(slotPath), "label": .string(slotLabel), "run": .string(runID),
        ]
        switch kind {
        case .runStarted:
            f["event"] = .string("run_started")
        case .stepStarted(let step, let attempt):
            f["event"] = .string("step_started"); f["step"] = .string(step.rawValue); f["attempt"] = .int(attempt)
        case .progress(let step, let done, let total):
            f["event"] = .string("progress"); f["step"] = .string(step.rawValue)
            f["done"] = .int(done); f["total"] = .int(total)
        case .stepFinished(let step, let outcome, let seconds, let detail):
            f["event"] = .string("step_finished"); f["step"] = .string(step.rawValue)
            f["outcome"] = .string(outcome); f["seconds"] = .double(seconds)
            if let detail { f["detail"] = .string(detail) }
        case .check(let check):
            f["event"] = .string("check"); f["check"] = .string(check.name); f["passed"] = .bool(check.passed)
            if let code = check.code { f["code"] = .int(code) }
            f["duration_ms"] = .int(check.durationMs)
            if let c = check.failureClass { f["failure_class"] = .string(c.rawValue) }
        case .flashRepeats(let step, let naks, let retries):
            f["event"] = .string("flash_repeats"); f["step"] = .string(step.rawValue)
            f["naks"] = .int(naks); f["retries"] = .int(retries)
        case .bootEntryStrategy(let step, let name):
            f["event"] = .string("boot_entry_strategy"); f["step"] = .string(step.rawValue); f["strategy"] = .string(name)
        case .operatorAction(let step, let prompt):
            f["event"] = .string("operator_action"); f["step"] = .string(step.rawValue); f["prompt"] = .string(prompt)
        case .imageStarted(let step, let image, let name, let bytes):
            f["event"] = .string("image_started"); f["step"] = .string(step.rawValue)
            f["image"] = .string(image); f["name"] = .string(name); f["bytes"] = .int(bytes)
        case .flashRetry(let step, let phase, let image, let offset, let reason):
            f["event"] = .string("flash_retry"); f["step"] = .string(step.rawValue); f["phase"] = .string(phase)
            if let image { f["image"] = .string(image) }
            if let offset { f["offset"] = .int(offset) }
            f["reason"] = .string(reason)
        case .flashNAK(let step, let phase, let image, let offset, let command):
            f["event"] = .string("flash_nak"); f["step"] = .string(step.rawValue); f["phase"] = .string(phase)
            if let image { f["image"] = .string(image) }
            if let offset { f["offset"] = .int(offset) }
            f["command"] = .string(command)
        case .resetAnswered(let step, let answerOK):
            f["event"] = .string("reset_answered"); f["step"] = .string(step.rawValue); f["answer_ok"] = .bool(answerOK)
        case .imageVerified(let step, let image, let bytes):
            f["event"] = .string("image_verified"); f["step"] = .string(step.rawValue)
            f["image"] = .string(image); f["bytes"] = .int(bytes)
        case .verdict(let status, let failureClass, let step, let detail):
            f["event"] = .string("verdict"); f["status"] = .string(status.rawValue)
            if let failureClass { f["failure_class"] = .string(failureClass.rawValue) }
            if let step { f["step"] = .string(step.rawValue) }
            if let detail { f["detail"] = .string(detail) }
        case .gate(let gate):
            f["event"] = .string("gate"); f["gate"] = .string(gate.name); f["passed"] = .bool(gate.passed)
            f["skipped"] = .bool(gate.skipped); f["detail"] = .string(gate.detail ?? "")
        }
        return f
    }

    /// The event's name (`run_started`, `step_finished`, `verdict`, …).
    public var name: String {
        if case .string(let name) = jsonFields["event"] { return name }
        return "event"
    }

    /// One line of JSON with sorted keys.
    public var jsonLine: String {
        let object = jsonFields.mapValues(\.any)
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

/// A JSON scalar of an event field.
public enum JSONField: Sendable, Equatable {
    case string(String), int(Int), double(Double), bool(Bool)

    var any: Any {
        switch self {
        case .string(let s): return s
        case .int(let i): return i
        case .double(let d): return (d * 1000).rounded() / 1000
        case .bool(let b): return b
        }
    }
}

extension ISO8601DateFormatter {
    nonisolated(unsafe) public static let withMilliseconds: ISO8601DateFormatter = {
        // Only read after creation; ISO8601DateFormatter formatting is thread-safe.
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }()
}
