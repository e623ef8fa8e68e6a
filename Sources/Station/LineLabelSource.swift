import Foundation

/// Labels typed into the station's terminal, one a line: a barcode scanner in keyboard mode
/// types the label and Enter. A line is either
///
/// - `LABEL`: for the slot that has waited longest for a label (or, when none waits, the next
///   slot to ask), or
/// - `SLOT LABEL`: for the slot whose label (`slot3`, as the display shows it) is the first word,
///   when a slot of that name has asked or asks later.
///
/// A label scanned before its board reached the gate is kept until a slot asks (the newest per
/// slot; bare labels in order), so the operator may scan when seating the board. A kept label
/// that belonged to a board which failed earlier only ever fails the next board (its IMEI is not
/// on it), never passes one.
public actor LineLabelSource: LabelSource {
    private struct Waiter {
        let id: Int
        let slot: String
        let continuation: CheckedContinuation<String?, Never>
    }

    private var waiters: [Waiter] = []
    private var keptBySlot: [String: String] = [:]
    private var keptBare: [String] = []
    private var ended = false
    private var nextID = 0
    private var reader: Task<Void, Never>?

    /// Kept bare labels at most; older ones are dropped (a scanner left typing into the terminal).
    static let keptBareLimit = 16

    public init() {}

    /// Reads `lines` until they end. `knownSlot` says whether a first word names a slot, so a
    /// label with a space in it is not taken for `SLOT LABEL` by mistake.
    public func read<Lines: AsyncSequence & Sendable>(_ lines: Lines, knownSlot: @escaping @Sendable (String) -> Bool)
    where Lines.Element == String {
        reader = Task {
            do {
                for try await line in lines { self.take(line, knownSlot: knownSlot) }
            } catch {}
            self.end()
        }
    }

    /// Reads the process's standard input (the operator's terminal) on a thread of its own.
    public func readStandardInput(knownSlot: @escaping @Sendable (String) -> Bool) {
        let (lines, sink) = AsyncStream.makeStream(of: String.self)
        Thread.detachNewThread {
            while let line = readLine(strippingNewline: true) { sink.yield(line) }
            sink.finish()
        }
        read(lines, knownSlot: knownSlot)
    }

    public func scannedLabel(slot: String) async -> String? {
        if let label = keptBySlot.removeValue(forKey: slot) { return label }
        if !keptBare.isEmpty { return keptBare.removeFirst() }
        if ended { return nil }
        nextID += 1
        let id = nextID
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
                if Task.isCancelled { continuation.resume(returning: nil); return }
                waiters.append(Waiter(id: id, slot: slot, continuation: continuation))
            }
        } onCancel: {
            Task { await self.giveUp(id) }
        }
    }

    /// A label scanned for a named slot elsewhere (the console's page): the slot's waiting gate
    /// gets it, or it is kept until the slot asks.
    public func scan(_ label: String, slot: String) {
        if let index = waiters.firstIndex(where: { $0.slot == slot }) {
            waiters.remove(at: index).continuation.resume(returning: label)
        } else {
            keptBySlot[slot] = label
        }
    }

    /// One line from the scanner: blank lines are ignored.
    func take(_ line: String, knownSlot: @Sendable (String) -> Bool) {
        let text = line.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { return }
        let words = text.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        if words.count == 2, knownSlot(String(words[0])) {
            scan(words[1].trimmingCharacters(in: .whitespaces), slot: String(words[0]))
            return
        }
        if !waiters.isEmpty {
            waiters.removeFirst().continuation.resume(returning: text)
        } else {
            keptBare.append(text)
            if keptBare.count > Self.keptBareLimit { keptBare.removeFirst() }
        }
    }

    private func giveUp(_ id: Int) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(returning: nil)
    }

    private func end() {
        ended = true
        let waiting = waiters
        waiters = []
        waiting.forEach { $0.continuation.resume(returning: nil) }
    }

    /// How many slots wait for a label now (the display, tests).
    public var waitingCount: Int { waiters.count }
    /// How many labels were scanned ahead of their slot and are kept.
    public var keptCount: Int { keptBySlot.count + keptBare.count }

    /// Stops reading (the station stops); waiting slots get nil.
    public func close() {
        reader?.cancel()
        end()
    }
}
