import Synchronization

/// What an operator can ask of a running station besides stopping it: hold a slot (it finishes
/// its current board and takes no next one) and release it, keep the label scanned for a slot
/// (the label gate reads it), and stop taking boards once the current ones are done. Whoever
/// embeds the station (the console) calls these; the runner's dispatcher reads them.
public actor StationControls {
    private var held: Set<String> = []
    private var labels: [String: String] = [:]
    /// Raised once: the station takes no new board and ends after the boards in flight.
    nonisolated let intakeStop = StationStop()
    /// Tells the dispatcher to look at its slots again (a release, the intake stopped).
    private nonisolated let changes: AsyncStream<Void>
    private nonisolated let changed: AsyncStream<Void>.Continuation

    public init() {
        (changes, changed) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// The slot (its physical path) finishes its current board and takes no next one.
    public func hold(slot: String) {
        held.insert(slot)
    }

    /// The slot takes boards again; a board already waiting in it starts.
    public func release(slot: String) {
        held.remove(slot)
        changed.yield()
    }

    public func isHeld(slot: String) -> Bool { held.contains(slot) }

    public var heldSlots: Set<String> { held }

    /// Keeps the label the operator scanned for the slot (the latest scan wins), and hands it to
    /// the label gate's input when one is attached.
    public func scanned(label: String, slot: String) async {
        labels[slot] = label
        await labelForward?(slot, label)
    }

    /// Where scanned labels go besides this actor: the label gate's input (`LineLabelSource`).
    private var labelForward: (@Sendable (_ slot: String, _ label: String) async -> Void)?

    public func forwardLabels(_ forward: @escaping @Sendable (_ slot: String, _ label: String) async -> Void) {
        labelForward = forward
    }

    /// The last label scanned for the slot, if any: what a label gate compares the board with.
    public func scannedLabel(slot: String) async -> String? { labels[slot] }

    /// No new board starts; the station ends once the boards in flight are decided.
    public func stopTakingBoards() {
        intakeStop.raise()
        changed.yield()
    }

    public nonisolated var isTakingBoards: Bool { !intakeStop.isRaised }

    /// Whether a board may start in the slot now.
    func mayStart(slot: String) -> Bool { !held.contains(slot) && !intakeStop.isRaised }

    /// One element after each change that may let a waiting board start or end the station;
    /// one reader (the runner).
    nonisolated var rechecks: AsyncStream<Void> { changes }
}
