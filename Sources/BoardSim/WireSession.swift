import EC618

/// Splits the board's input stream into sync words and request frames, the way a ROM that
/// polls its receive buffer would: one echo per burst of sync words (spec §2.3), and after a
/// malformed frame everything is dropped until the line goes idle (resynchronisation).
struct WireSession: Sendable {
    enum Unit: Sendable {
        case sync(SyncWord, echo: Bool)
        case frame(RequestFrame, wire: [UInt8])
        case malformed(head: [UInt8]?, FrameDefect)
        case junk([UInt8])
    }

    let config: BoardConfig
    var framing = Framing.plain
    private var buffer: [UInt8] = []
    private var position = 0
    private var discarding = false
    private var burst: (word: SyncWord, count: Int)?
    private var lastInput: ContinuousClock.Instant?

    init(config: BoardConfig) { self.config = config }

    /// Bytes read from the link at `now`.
    mutating func append(_ bytes: [UInt8], now: ContinuousClock.Instant) {
        if let last = lastInput, now - last >= config.syncBurstGap { burst = nil }
        if let last = lastInput, now - last >= config.idleGap { endOfSilence() }
        lastInput = now
        if discarding || bytes.isEmpty { return }
        if position > 0 { buffer.removeFirst(position); position = 0 }
        buffer += bytes
    }

    /// The link was silent for `config.idleGap`.
    mutating func idle(now: ContinuousClock.Instant) {
        if let last = lastInput, now - last >= config.syncBurstGap { burst = nil }
        endOfSilence()
        if position < buffer.count, let last = lastInput, now - last >= config.partialFrameTimeout {
            buffer.removeAll(); position = 0   // a frame that never completed
        }
    }

    private mutating func endOfSilence() {
        discarding = false
    }

    /// The next complete unit, or nil when more bytes are needed.
    mutating func next() -> Unit? {
        guard buffer.count - position >= 4 else { return nil }
        if let word = SyncWord(bytes: buffer[position..<(position + 4)]) {
            position += 4
            if let current = burst, current.word == word {
                let count = current.count + 1
                burst = count >= config.syncWordsPerBurst ? nil : (word, count)
                return .sync(word, echo: false)
            }
            burst = config.syncWordsPerBurst > 1 ? (word, 1) : nil
            return .sync(word, echo: true)
        }
        switch RequestFrame.decode(buffer[position...], framing: framing, maxPayload: config.maxRequestPayload) {
        case .incomplete:
            return nil
        case .frame(let frame, let consumed):
            let wire = Array(buffer[position..<(position + consumed)])
            position += consumed
            burst = nil
            return .frame(frame, wire: wire)
        case .malformed(let defect, let head):
            buffer.removeAll(); position = 0
            discarding = true
            burst = nil
            return .malformed(head: head, defect)
        }
    }
}
