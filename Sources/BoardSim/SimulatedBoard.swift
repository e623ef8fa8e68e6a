import EC618
import Firmware
import Links

/// A simulated EC618 in download mode: mask ROM, AgentBoot, 4 MiB AP and 1 MiB CP NOR flash,
/// a timing model and injected faults. Serve it on any `ByteLink` — a `MemoryLink` in tests,
/// a pseudo-terminal for `provision sim board` and for other tools (ectool).
///
/// Strict where a real ROM would be: unknown frames, bad CRCs and length bytes, wrong indices,
/// packets of another size than offered, headers whose hash does not match, images that do not
/// fit, and programming bytes that were not erased are all refused.
public actor SimulatedBoard {
    /// How a session ended.
    public enum Outcome: Sendable, Equatable {
        /// SYS_RST answered: the chip resets (the reboot hook ran).
        case reset
        /// The host closed or lost the link.
        case linkClosed
        /// The `disconnect-after` fault dropped the link.
        case faultDisconnected
    }

    /// The flash contents at one moment, as `ap_flash.bin` / `cp_flash.bin` hold them.
    public struct FlashContents: Sendable, Equatable {
        public let ap: [UInt8]
        public let cp: [UInt8]

        public init(ap: [UInt8], cp: [UInt8]) {
            self.ap = ap
            self.cp = cp
        }
    }

    public let config: BoardConfig
    public let timing: SimTiming
    public let faults: FaultPlan
    private var core: BoardCore
    /// Called after SYS_RST with the flash contents, before `serve` returns. The QA issue boots
    /// the runtime from here.
    public var onReset: @Sendable (FlashContents) async -> Void = { _ in }
    /// Record every unit on the wire (for cross-checks with other flashers).
    public var recordsTranscript = false
    public private(set) var transcript: [TranscriptEntry] = []

    public init(config: BoardConfig = BoardConfig(), timing: SimTiming = .fast, faults: FaultPlan = .none) {
        self.config = config
        self.timing = timing
        self.faults = faults
        self.core = BoardCore(config: config, timing: timing, faults: faults)
    }

    public func setResetHook(_ hook: @escaping @Sendable (FlashContents) async -> Void) { onReset = hook }
    public func setRecordsTranscript(_ on: Bool) { recordsTranscript = on }

    /// Fills both chips with a repeating pattern, as if an older firmware were on them.
    public func preload(ap: [UInt8], cp: [UInt8]) { core.preload(ap: ap, cp: cp) }

    public var flash: FlashContents { FlashContents(ap: core.ap.bytes, cp: core.cp.bytes) }
    /// Why the board refused requests (NAK reasons, burn failures), oldest first.
    public var refusals: [String] { core.refusals }
    /// 64 KiB blocks erased so far.
    public var erasedBlocks: Int { core.erasedBlocks }
    /// Image bytes programmed so far.
    public var programmedBytes: Int { core.programmedBytes }
    /// The least time any flasher needs for what this board has been sent so far (timing model).
    public var lowerBound: Duration { timing.lowerBound(imageBytes: core.programmedBytes, eraseBlocks: core.erasedBlocks) }

    // MARK: - Serving

    /// Serves one download session on `link` until SYS_RST, the link closing, or a fault.
    public func serve(on link: any ByteLink) async -> Outcome {
        var session = WireSession(config: config)
        var received = 0
        var linkBusyUntil = ContinuousClock.now
        while true {
            var chunk: [UInt8]
            do {
                chunk = try await link.read(maxCount: 1 << 16, deadline: .now + config.idleGap)
            } catch LinkError.timeout {
                session.idle(now: .now)
                continue
            } catch {
                return .linkClosed
            }
            let now = ContinuousClock.now
            // Faults act on the raw byte stream, by offset from the session's first byte.
            let streamStart = received
            received += chunk.count
            if let n = faults.corruptByte, n >= streamStart, n < received { chunk[n - streamStart] = ~chunk[n - streamStart] }
            if let n = faults.dropByte, n >= streamStart, n < received { chunk.remove(at: n - streamStart) }
            var disconnect = false
            if let n = faults.disconnectAfter, received >= n {
                chunk = Array(chunk.prefix(max(0, n - streamStart)))
                disconnect = true
            }
            if let n = faults.stallAfter, received > n {
                chunk = Array(chunk.prefix(max(0, n - streamStart)))
            }
            // The wire takes time to deliver what was read.
            if timing.linkBytesPerSecond > 0 {
                linkBusyUntil = max(linkBusyUntil, now) + timing.linkTime(chunk.count)
                try? await Task.sleep(until: linkBusyUntil, clock: .continuous)
            }
            session.append(chunk, now: now)
            while let unit = session.next() {
                switch unit {
                case .sync(let word, let echo):
                    record(.hostToDevice, .sync, word.bytes)
                    if echo, core.sync(word) {
                        if await send(word.bytes, on: link, busyUntil: &linkBusyUntil) == false { return .linkClosed }
                        record(.deviceToHost, .sync, word.bytes)
                    }
                case .junk(let bytes):
                    record(.hostToDevice, .junk, bytes)
                case .malformed(let head, let why):
                    record(.hostToDevice, .junk, head ?? [])
                    core.note("malformed frame: \(why)")
                    if let head, head.count == 4, let family = CommandFamily(rawValue: head[2]) {
                        // Answered like any answer to that command (DOWNLOAD_DATA: index + 1).
                        let addressed = RequestFrame(command: head[0], index: head[1], family: family)
                        let nak = ResponseFrame(answering: addressed, state: ResponseState.nak)
                        let wire = nak.encode(core.framing)
                        if await send(wire, on: link, busyUntil: &linkBusyUntil) == false { return .linkClosed }
                        record(.deviceToHost, .frame, wire)
                    }
                case .frame(let request, let wireBytes):
                    record(.hostToDevice, .frame, wireBytes)
                    let framing = core.framing
                    let reply = core.handle(request)
                    if reply.busy > .zero {
                        linkBusyUntil = max(linkBusyUntil, .now) + reply.busy
                    }
                    let wire = reply.response.encode(framing)
                    if await send(wire, on: link, busyUntil: &linkBusyUntil) == false { return .linkClosed }
                    record(.deviceToHost, .frame, wire)
                    if reply.resets {
                        await onReset(flash)
                        return .reset
                    }
                }
                session.framing = core.framing
            }
            if disconnect {
                await link.close()
                return .faultDisconnected
            }
            if let n = faults.stallAfter, received > n {
                return await stall(on: link)
            }
        }
    }

    /// The `stall-after` fault: swallow everything, answer nothing, until the host gives up.
    private func stall(on link: any ByteLink) async -> Outcome {
        while true {
            do { _ = try await link.read(maxCount: 1 << 16, deadline: .now + .seconds(1)) }
            catch LinkError.timeout { continue }
            catch { return .linkClosed }
        }
    }

    private func send(_ bytes: [UInt8], on link: any ByteLink, busyUntil: inout ContinuousClock.Instant) async -> Bool {
        if timing.linkBytesPerSecond > 0 || busyUntil > .now {
            busyUntil = max(busyUntil, .now) + timing.linkTime(bytes.count)
            try? await Task.sleep(until: busyUntil, clock: .continuous)
        }
        do { try await link.write(bytes); return true } catch { return false }
    }

    private func record(_ direction: TranscriptEntry.Direction, _ kind: TranscriptEntry.Kind, _ bytes: [UInt8]) {
        if recordsTranscript { transcript.append(TranscriptEntry(direction, kind, bytes)) }
    }
}

extension BoardCore {
    mutating func note(_ why: String) { refusals.append(why) }
}
