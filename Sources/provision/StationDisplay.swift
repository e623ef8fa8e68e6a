import Foundation
import Records
import Station
import Synchronization
import Vocabulary

/// Renders station events: one live line per slot on a terminal, plain timestamped lines when
/// not a terminal, or one JSON object per line (`--json`) for MES systems.
final class StationDisplay: Sendable {
    enum Mode { case live, plain, json }

    private struct SlotLine {
        var label: String
        var step: String = "waiting"
        var done = 0
        var total = 0
        var started = Date()
        var last = ""
    }

    private let mode: Mode
    private let state = Mutex<(order: [String], lines: [String: SlotLine], drawn: Int)>(([], [:], 0))

    init(json: Bool) {
        mode = json ? .json : (isatty(STDOUT_FILENO) == 1 ? .live : .plain)
    }

    func show(_ event: StationEvent) {
        switch mode {
        case .json: write(event.jsonLine + "\n")
        case .plain: if let line = Self.plainLine(event) { write(line + "\n") }
        case .live: live(event)
        }
    }

    /// A message outside any slot (start-up, summary).
    func note(_ text: String) {
        switch mode {
        // stdout stays one station event per line; what the station says besides (a run it could
        // not record, a lease taken over, the summary) still reaches the operator's log.
        case .json: FileHandle.standardError.write(Data("provision: \(text)\n".utf8))
        case .plain: write(text + "\n")
        case .live:
            // Above the slot lines, which are redrawn below it.
            let output: String = state.withLock { s in
                var out = s.drawn > 0 ? "\u{1B}[\(s.drawn)A" : ""
                out += "\u{1B}[2K" + text + "\n" + Self.redraw(s.order.compactMap { s.lines[$0] }, now: Date())
                return out
            }
            write(output)
        }
    }

    /// Something about one slot that is not a run (e.g. a device of unknown shape in it): a note,
    /// and on a terminal the slot's own line says so until a run starts there. In JSON mode it
    /// goes to stderr, so stdout stays one station event per line.
    func slotNote(path: String, label: String, step: String, _ text: String) {
        switch mode {
        case .json: FileHandle.standardError.write(Data("provision: \(label): \(text)\n".utf8))
        case .plain: note("\(label): \(text)")
        case .live:
            state.withLock { s in
                if s.lines[path] == nil {
                    s.order.append(path)
                    s.lines[path] = SlotLine(label: label)
                }
                s.lines[path]?.step = step
                s.lines[path]?.done = 0
                s.lines[path]?.total = 0
            }
            note("\(label): \(text)")
        }
    }

    private static func redraw(_ lines: [SlotLine], now: Date) -> String {
        lines.map { "\u{1B}[2K" + liveText($0, now: now) + "\n" }.joined()
    }

    static func plainLine(_ e: StationEvent) -> String? {
        let time = ISO8601DateFormatter.withMilliseconds.string(from: e.at)
        let head = "\(time) [\(e.slotLabel)]"
        switch e.kind {
        case .runStarted: return "\(head) board in \(e.slotPath), run \(e.runID)"
        case .stepStarted(let step, let attempt):
            return "\(head) \(step.rawValue)" + (attempt > 1 ? " (attempt \(attempt))" : "")
        case .progress: return nil
        case .stepFinished(let step, let outcome, let seconds, let detail):
            return "\(head) \(step.rawValue) \(outcome) in \(String(format: "%.2f", seconds)) s"
                + (detail.map { ": \($0)" } ?? "")
        case .check(let c):
            return "\(head) check \(c.name) \(c.passed ? "ok" : "FAIL")" + (c.failureClass.map { " (\($0))" } ?? "")
        case .flashRepeats(let step, let naks, let retries):
            return "\(head) \(step.rawValue): \(naks) NAK(s), \(retries) retry(ies)"
        case .bootEntryStrategy(let step, let name):
            return "\(head) \(step.rawValue): trying boot entry \"\(name)\""
        case .operatorAction(let step, let prompt):
            return "\(head) \(step.rawValue): OPERATOR: \(prompt)"
        case .imageStarted(let step, let image, let name, let bytes):
            return "\(head) \(step.rawValue): writing \(image) \(name) (\(bytes) bytes)"
        case .flashRetry(let step, let phase, let image, let offset, let reason):
            return "\(head) \(step.rawValue): retry in \(Self.place(phase, image, offset)): \(reason)"
        case .flashNAK(let step, let phase, let image, let offset, let command):
            return "\(head) \(step.rawValue): NAK of \(command) in \(Self.place(phase, image, offset))"
        case .resetAnswered(let step, let answerOK):
            return "\(head) \(step.rawValue): reset " + (answerOK ? "answered" : "answer missing or wrong (the board may reset anyway)")
        case .imageVerified(let step, let image, let bytes):
            return "\(head) \(step.rawValue): \(image) read back, \(bytes) bytes match"
        case .verdict(let status, let failureClass, let step, let detail):
            var text = "\(head) \(status.rawValue.uppercased())"
            if let failureClass { text += " \(failureClass)" }
            if let step { text += " in \(step.rawValue)" }
            if let detail { text += ": \(detail)" }
            return text
        case .gate(let gate):
            return "\(head) gate \(gate.name) \(gate.skipped ? "skipped" : gate.passed ? "ok" : "FAIL")\(gate.detail.map { ": " + $0 } ?? "")"
        }
    }

    /// Where in a flash something happened: `burn ap at byte 4096`.
    private static func place(_ phase: String, _ image: String?, _ offset: Int?) -> String {
        phase + (image.map { " \($0)" } ?? "") + (offset.map { " at byte \($0)" } ?? "")
    }

    private func live(_ e: StationEvent) {
        let output: String = state.withLock { s in
            if s.lines[e.slotPath] == nil {
                s.order.append(e.slotPath)
                s.lines[e.slotPath] = SlotLine(label: e.slotLabel)
            }
            var line = s.lines[e.slotPath]!
            switch e.kind {
            case .runStarted: line.started = e.at; line.step = "starting"; line.done = 0; line.total = 0
            case .stepStarted(let step, _): line.step = step.rawValue; line.done = 0; line.total = 0
            case .progress(_, let done, let total): line.done = done; line.total = total
            case .stepFinished: break
            case .check, .flashRepeats, .flashNAK, .resetAnswered, .bootEntryStrategy, .gate: break
            case .operatorAction(_, let prompt): line.step = "OPERATOR"; line.last = prompt
            case .imageStarted(let step, let image, _, _): line.step = "\(step.rawValue) \(image)"
            case .imageVerified(_, let image, _): line.last = "\(image) verified"
            case .flashRetry(_, let phase, let image, _, _): line.last = "retry in \(phase)" + (image.map { " \($0)" } ?? "")
            case .verdict(let status, let failureClass, _, _):
                line.step = "done"
                line.last = status.rawValue.uppercased() + (failureClass.map { " \($0)" } ?? "")
            }
            s.lines[e.slotPath] = line
            // Move up over what was drawn before and redraw every slot's line.
            let text = (s.drawn > 0 ? "\u{1B}[\(s.drawn)A" : "") + Self.redraw(s.order.compactMap { s.lines[$0] }, now: e.at)
            s.drawn = s.order.count
            return text
        }
        write(output)
    }

    private static func liveText(_ l: SlotLine, now: Date) -> String {
        let width = 20
        let filled = l.total > 0 ? min(width, width * l.done / l.total) : 0
        let bar = "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
        let elapsed = String(format: "%5.1fs", now.timeIntervalSince(l.started))
        return "\(l.label.padding(toLength: 8, withPad: " ", startingAt: 0)) "
            + "\(l.step.padding(toLength: 20, withPad: " ", startingAt: 0)) \(bar) \(elapsed)  \(l.last)"
    }

    private func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
