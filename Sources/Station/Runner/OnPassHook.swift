import Foundation
import Records

/// `--on-pass CMD`: once a board has passed and its record is stored, CMD runs through
/// `/bin/sh -c` with the record (the webhook's JSON) on its standard input — to print the
/// board's label, say. It runs beside the line: a slow or failing hook is recorded against the
/// run and never holds the slot.
public actor OnPassHook {
    /// How one hook run ended.
    public struct Outcome: Sendable, Equatable, Codable {
        public var runID: String
        /// The command's exit status; nil when it could not be started or was stopped.
        public var exitStatus: Int32?
        public var timedOut: Bool
        public var seconds: Double
        /// The last bytes of what it printed (stdout and stderr together), or why it did not run.
        public var output: String

        public var succeeded: Bool { exitStatus == 0 && !timedOut }
    }

    /// The event kind a hook's outcome is stored under, beside the run's other events.
    public static let eventKind = "on_pass_hook"
    /// A label printer answers in seconds; a hook still running after this is killed
    /// and recorded as timed out, so a station stopping at the end of a shift never waits longer.
    public static let defaultTimeLimit: Duration = .seconds(30)
    /// Where a hook's event sorts among the run's events: after everything the run itself recorded.
    public static let eventSequence = 1_000_000
    /// How much of the hook's output a record keeps.
    static let outputTail = 1024

    let command: String
    let timeLimit: Duration
    let finished: @Sendable (Outcome) async -> Void
    private var running: [String: Task<Void, Never>] = [:]

    public init(command: String, timeLimit: Duration = defaultTimeLimit,
                finished: @escaping @Sendable (Outcome) async -> Void) {
        self.command = command
        self.timeLimit = timeLimit
        self.finished = finished
    }

    /// Starts the hook for `record` and returns at once.
    public func start(_ record: BoardRecordPayload) {
        let runID = record.runID
        let command = command, timeLimit = timeLimit, finished = finished
        running[runID] = Task {
            let outcome = await Self.run(command, record: record, timeLimit: timeLimit)
            await finished(outcome)
            self.done(runID)
        }
    }

    /// Waits for every hook still running (each is bounded by the time limit).
    public func drain() async {
        while let (_, task) = running.first {
            await task.value
        }
    }

    private func done(_ runID: String) { running[runID] = nil }

    /// Runs `command` once with `record` on its standard input. Input and output go through
    /// files, not pipes: a hook that never reads its input, or exits early, can neither block
    /// the station nor raise SIGPIPE in it.
    static func run(_ command: String, record: BoardRecordPayload, timeLimit: Duration) async -> Outcome {
        let started = ContinuousClock.now
        func outcome(_ status: Int32?, timedOut: Bool, _ output: String) -> Outcome {
            let elapsed = ContinuousClock.now - started
            return Outcome(runID: record.runID, exitStatus: status, timedOut: timedOut,
                           seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
                           output: output)
        }
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("provision-on-pass-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("record.json"), output = folder.appendingPathComponent("output")
        let process = Process()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try WebhookPoster.body(record).write(to: input)
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", command]
            process.standardInput = try FileHandle(forReadingFrom: input)
            let sink = try FileHandle(forWritingTo: output)
            process.standardOutput = sink
            process.standardError = sink
            var environment = ProcessInfo.processInfo.environment
            environment["PROVISION_RUN_ID"] = record.runID
            environment["PROVISION_SLOT"] = record.slotLabel
            environment["PROVISION_IMEI"] = record.imei ?? ""
            process.environment = environment
        } catch {
            return outcome(nil, timedOut: false, "cannot prepare the hook: \(error)")
        }
        let exited = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { exited.continuation.yield($0.terminationStatus); exited.continuation.finish() }
        do {
            try process.run()
        } catch {
            return outcome(nil, timedOut: false, "cannot start /bin/sh: \(error)")
        }
        let timer = Task {
            try? await Task.sleep(for: timeLimit)
            guard !Task.isCancelled else { return false }
            // SIGKILL, not SIGTERM: the station ignores SIGTERM to handle it itself, and a
            // child inherits that, so a hook would never see it.
            kill(process.processIdentifier, SIGKILL)
            return true
        }
        var status: Int32?
        for await code in exited.stream { status = code }
        timer.cancel()
        let timedOut = await timer.value
        let printed = (try? Data(contentsOf: output)) ?? Data()
        let tail = String(decoding: printed.suffix(outputTail), as: UTF8.self)
        return outcome(timedOut ? nil : status, timedOut: timedOut, tail)
    }
}
