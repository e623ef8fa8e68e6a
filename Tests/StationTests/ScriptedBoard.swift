import Foundation
import Records
import Station
import Synchronization
import Vocabulary

/// A board whose steps do what the test says: pass, fail (retryable or not) for the first N
/// attempts, or hang until cancelled. It stands in for hardware so the pipeline's sequencing,
/// deadlines, retries and records can be checked; the real drivers are tested in their modules.
final class ScriptedBoard: SlotBoard {
    enum Behaviour: Sendable {
        case pass
        case fail(StepFailure, times: Int)
        /// Never returns by itself (a board that stopped answering), ignoring cancellation.
        case hang
    }

    let slotPath: String
    private let behaviours: [StationStep: Behaviour]
    private let qa: QAResult
    private let attempts = Mutex<[StationStep: Int]>([:])
    /// Steps in the order they were called.
    let calls = Mutex<[StationStep]>([])
    /// The step deadline each step saw (`StepDeadline.current`), as the driver would.
    let deadlines = Mutex<[StationStep: ContinuousClock.Instant]>([:])

    init(slotPath: String, behaviours: [StationStep: Behaviour] = [:],
         qa: QAResult = QAResult(passed: true, checks: [CheckRecord(name: "get", passed: true, code: 200,
                                                                   durationMs: 120)],
                                 imei: "860000000000011", iccid: "89860000000000000011")) {
        self.slotPath = slotPath
        self.behaviours = behaviours
        self.qa = qa
    }

    private func act(_ step: StationStep) async throws {
        calls.withLock { $0.append(step) }
        if let deadline = StepDeadline.current { deadlines.withLock { $0[step] = deadline } }
        let attempt = attempts.withLock { a -> Int in a[step, default: 0] += 1; return a[step]! }
        switch behaviours[step] ?? .pass {
        case .pass: return
        case .fail(let failure, let times): if attempt <= times { throw failure }
        case .hang:
            // Wait on a continuation nobody resumes: no sleeping, no polling.
            await withCheckedContinuation { (_: CheckedContinuation<Void, Never>) in }
        }
    }

    func enterDownloadMode() async throws { try await act(.enterDownloadMode) }
    func flashFull(boardData: BoardDataWrite?, progress: @escaping @Sendable (Int, Int) -> Void,
                   repeated: @escaping @Sendable (FlashRepeat) -> Void) async throws {
        try await act(.flashFull)
        progress(100, 100)
    }
    func waitRunning() async throws { try await act(.waitRunning) }
    func runQA() async throws -> QAResult {
        try await act(.qa)
        return qa
    }
    func flashScript(boardData: BoardDataWrite?, progress: @escaping @Sendable (Int, Int) -> Void,
                     repeated: @escaping @Sendable (FlashRepeat) -> Void) async throws { try await act(.flashScript) }
    func bootCheck() async throws { try await act(.bootCheck) }
    func checkAppLog(_ plan: AppLogPlan) async throws -> QAResult {
        try await act(.appLog)
        return qa
    }
}

/// Collects events for assertions.
final class EventLog: Sendable {
    private let events = Mutex<[StationEvent]>([])
    var all: [StationEvent] { events.withLock { $0 } }
    func add(_ e: StationEvent) { events.withLock { $0.append(e) } }
}
