import Firmware
import Links

/// Drives one board through a complete download session over a `ByteLink`: DLBOOT sync →
/// AgentBoot → per-image BURN_ONE/header/blocks/burn status → SYS_RST (spec §6.6, §6.7).
///
/// The only part of the module that does I/O. Packet sizes are always the ones the device
/// offers in DATA_HEAD. Retries follow §8.3: idempotent commands and DOWNLOAD_DATA (same index)
/// are resent after a pause and an input flush; a block whose retries run out is restarted from
/// its AGBOOT sync; BURN_ONE is only resent after a fresh LPC sync.
public actor Flasher {
    public let link: any ByteLink
    public let settings: FlasherSettings
    private let onEvent: @Sendable (FlashEvent) -> Void

    // Where we are, for errors.
    private var phase: FlashPhase = .romSync
    private var image: ImageKind?
    private var offset: Int?
    /// The last sync word the board echoed: a second echo of it may precede the next answer.
    private var lastSync: SyncWord?

    public init(link: any ByteLink, settings: FlasherSettings = FlasherSettings(),
                onEvent: @escaping @Sendable (FlashEvent) -> Void = { _ in }) {
        self.link = link
        self.settings = settings
        self.onEvent = onEvent
    }

    /// Flashes every image of `plan` (a full plan, or a script-only one) after loading
    /// `agentBoot`, then resets the board. The link is closed afterwards, also on failure.
    /// `rewrites` are regions read from the board and written back changed, after the plan.
    public func flash(_ plan: FlashPlan, agentBoot: [UInt8], rewrites: [RegionRewrite] = []) async throws(FlashError) {
        defer { phase = .romSync }
        do throws(FlashError) {
            let targets = try plan.images.map { img throws(FlashError) in
                switch BurnAddressing.target(for: img) {
                case .success(let t): return t
                case .failure(let e):
                    throw FlashError(phase: .burn, image: img.kind, offset: nil, cause: .plan(e), link: link.name,
                                     isRetryable: false)
                }
            }
            try await loadAgentBoot(agentBoot)
            var planDone = 0
            let total = plan.totalBytes + rewrites.reduce(0) { $0 + $1.size }
            for (img, target) in zip(plan.images, targets) {
                try await burn(img, target: target, planDone: planDone, planTotal: total)
                planDone += img.size
            }
            for rewrite in rewrites {
                let img = try await rewritten(rewrite)
                let target: BurnTarget
                switch BurnAddressing.target(for: img) {
                case .success(let t): target = t
                case .failure(let e):
                    throw FlashError(phase: .burn, image: img.kind, offset: nil, cause: .plan(e), link: link.name,
                                     isRetryable: false)
                }
                try await burn(img, target: target, planDone: planDone, planTotal: total)
                planDone += img.size
            }
            try await reset()
        } catch {
            await link.close()
            throw error
        }
        await link.close()
    }

    // MARK: - Session steps

    private func loadAgentBoot(_ body: [UInt8]) async throws(FlashError) {
        enter(.romSync, image: nil)
        try await sync(.dlboot)
        enter(.agentBoot, image: nil)
        try await baseInfo(expecting: .imgh, framing: .plain)
        let header = ImageHeader.agentBoot(body, baud: settings.agentBootBaud).encode()
        try await transfer(header, framing: .plain) { _ in }
        try await sync(.dlboot)
        try await baseInfo(expecting: .agbt, framing: .plain)
        try await transfer(body, framing: .plain) { [onEvent] done in
            onEvent(.agentBootProgress(done: done, total: body.count))
        }
    }

    private func burn(_ img: FlashImage, target: BurnTarget, planDone: Int, planTotal: Int) async throws(FlashError) {
        enter(.burn, image: img.kind)
        onEvent(.imageStarted(img.kind, name: img.name, size: img.size))
        try await burnOne(target)
        try await sync(.agboot)
        try await sync(.agboot)
        try await baseInfo(expecting: .imgh, framing: .protected)
        let header = ImageHeader(bodyID: target.imageID, burnAddress: target.headerBurnAddress, image: img.bytes)
        try await transfer(header.encode(), framing: .protected) { _ in }

        var blockStart = 0
        while blockStart < img.size {
            let block = Array(img.bytes[blockStart..<min(img.size, blockStart + ProtocolConstants.maxOuterBlock)])
            let base = blockStart
            var attempt = 0
            while true {
                do throws(FlashError) {
                    try await sync(.agboot)
                    if settings.baseInfoPerBlock {
                        try await baseInfo(expecting: target.imageID, framing: .protected)
                    }
                    try await transfer(block, framing: .protected, offsetBase: base) { [onEvent] done in
                        onEvent(.progress(img.kind, imageDone: base + done, imageTotal: img.size,
                                          planDone: planDone + base + done, planTotal: planTotal))
                    }
                    break
                } catch where error.isRetryable && attempt < settings.blockRetries {
                    attempt += 1
                    onEvent(.retrying(.burn, image: img.kind, offset: base, reason: "restarting block: \(error.cause)"))
                    await settings.sleep(settings.retryPause)
                }
            }
            blockStart += block.count
        }
        if img.size == 0 {
            onEvent(.progress(img.kind, imageDone: 0, imageTotal: 0, planDone: planDone, planTotal: planTotal))
        }

        enter(.burnStatus, image: img.kind)
        offset = img.size
        let status = try await exchange(RequestFrame(.getBurnStatus), framing: .protected)
        guard status.payload == ProtocolConstants.burnStatusOK else {
            throw failure(.burnFailed(status: status.payload), retryable: false)
        }
        onEvent(.imageDone(img.kind))
        if settings.verify { try await readBack(img, target: target) }
    }

    /// The image a rewrite burns: the region as the board holds it now, changed by its builder.
    private func rewritten(_ rewrite: RegionRewrite) async throws(FlashError) -> FlashImage {
        func image(_ bytes: [UInt8]) -> FlashImage {
            FlashImage(kind: .boardData, name: rewrite.name, storage: rewrite.storage, flashOffset: rewrite.offset,
                       packageAddress: rewrite.offset, reservedSize: UInt32(clamping: rewrite.size), bytes: bytes)
        }
        enter(.verify, image: .boardData)
        let current = try await readRegion(storage: rewrite.storage, offset: rewrite.offset, count: rewrite.size,
                                           for: image([]))
        let bytes: [UInt8]
        do {
            bytes = try rewrite.build(current)
        } catch {
            throw FlashError(phase: phase, image: .boardData, offset: nil,
                             cause: .plan(PlanError(image: image(current), reason: "\(error)")),
                             link: link.name, isRetryable: false)
        }
        guard bytes.count <= rewrite.size else {
            throw FlashError(phase: phase, image: .boardData, offset: nil,
                             cause: .plan(PlanError(image: image(bytes), reason: "the rewritten region is \(bytes.count) "
                                                    + "bytes, larger than its \(rewrite.size)")),
                             link: link.name, isRetryable: false)
        }
        return image(bytes)
    }

    /// `count` bytes at `offset` of `storage`, read with READ_MEM `ReadBack.maxChunk` at a time.
    private func readRegion(storage: FlashStorage, offset rawOffset: UInt32, count: Int,
                            for img: FlashImage) async throws(FlashError) -> [UInt8] {
        guard let start = ReadBack.address(storage: storage, rawOffset: rawOffset),
              UInt64(start) + UInt64(count) <= UInt64(UInt32.max) else {
            throw FlashError(phase: phase, image: img.kind, offset: nil,
                             cause: .plan(PlanError(image: img, reason: "cannot be read: past the 32-bit address space")),
                             link: link.name, isRetryable: false)
        }
        try await sync(.lpc)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        while bytes.count < count {
            let length = min(ReadBack.maxChunk, count - bytes.count)
            offset = bytes.count
            let answer = try await exchange(
                RequestFrame(.readMem, payload: ReadBack.request(length: length, address: start + UInt32(bytes.count))),
                framing: .protected)
            guard answer.payload.count == length else {
                throw failure(.unexpectedPayload(command: "READ_MEM", payload: answer.payload), retryable: true)
            }
            bytes += answer.payload
        }
        return bytes
    }

    /// Reads the image back from the flash with READ_MEM, `ReadBack.maxChunk` bytes at a time,
    /// and compares it with what was written (spec §5). A difference is not retryable: the
    /// AgentBoot acknowledged bytes the flash does not hold.
    private func readBack(_ img: FlashImage, target: BurnTarget) async throws(FlashError) {
        enter(.verify, image: img.kind)
        // The plan's raw offset is where BurnAddressing placed the image (the bootloader's included).
        guard let start = ReadBack.address(storage: target.storage, rawOffset: img.flashOffset),
              UInt64(start) + UInt64(img.size) <= UInt64(UInt32.max) else {
            throw FlashError(phase: phase, image: img.kind, offset: nil,
                             cause: .plan(PlanError(image: img, reason: "cannot be read back: past the 32-bit address space")),
                             link: link.name, isRetryable: false)
        }
        try await sync(.lpc)
        var done = 0
        while done < img.size {
            let length = min(ReadBack.maxChunk, img.size - done)
            offset = done
            let answer = try await exchange(
                RequestFrame(.readMem, payload: ReadBack.request(length: length, address: start + UInt32(done))),
                framing: .protected)
            guard answer.payload.count == length else {
                throw failure(.unexpectedPayload(command: "READ_MEM", payload: answer.payload), retryable: true)
            }
            for (i, byte) in answer.payload.enumerated() where byte != img.bytes[done + i] {
                throw FlashError(phase: phase, image: img.kind, offset: done + i,
                                 cause: .readBack(ReadBackMismatch(image: img.kind, offset: done + i,
                                                                   wrote: img.bytes[done + i], read: byte)),
                                 link: link.name, isRetryable: false)
            }
            done += length
        }
        onEvent(.verified(img.kind, bytes: img.size))
    }

    /// BURN_ONE after an LPC sync; never resent blindly (its answer may have been lost after the
    /// AgentBoot acted on it), always after a fresh LPC sync (§8.3).
    private func burnOne(_ target: BurnTarget) async throws(FlashError) {
        var attempt = 0
        while true {
            try await sync(.lpc)
            do throws(FlashError) {
                _ = try await exchange(RequestFrame(.burnOne, payload: target.burnOnePayload), framing: .protected,
                                       retries: 0)
                return
            } catch where error.isRetryable && attempt < settings.commandRetries {
                attempt += 1
                onEvent(.retrying(phase, image: image, offset: nil, reason: "BURN_ONE: \(error.cause)"))
                await settings.sleep(settings.retryPause)
            }
        }
    }

    private func reset() async throws(FlashError) {
        enter(.reset, image: nil)
        try await sync(.lpc)
        let answer: ResponseFrame
        do {
            answer = try await exchange(RequestFrame(.sysReset), framing: .protected)
        } catch {
            // The chip resets a few milliseconds after it answers; a USB board may leave the bus
            // before the host has read the answer. Gone after SYS_RST is the reset we asked for.
            guard case .link(.unplugged) = error.cause else { throw error }
            onEvent(.reset(answerOK: false))
            return
        }
        // A wrong answer is a warning only: the chip may reset anyway (spec §8.2).
        onEvent(.reset(answerOK: answer.payload == ProtocolConstants.resetAnswer))
    }

    // MARK: - Protocol building blocks

    /// GET_VERSION → SEL_IMAGE (must name `expected`) → VERIFY_IMAGE (spec §3.6).
    private func baseInfo(expecting expected: ImageIdentifier, framing: Framing) async throws(FlashError) {
        _ = try await exchange(RequestFrame(.getVersion), framing: framing)
        let selected = try await exchange(RequestFrame(.selImage), framing: framing)
        guard selected.payload.count == 4 else {
            throw failure(.unexpectedPayload(command: "SEL_IMAGE", payload: selected.payload), retryable: false)
        }
        let got = LE.u32(selected.payload, at: 0)
        guard got == expected.rawValue else { throw failure(.imageMismatch(expected: expected, got: got), retryable: false) }
        _ = try await exchange(RequestFrame(.verifyImage), framing: framing)
    }

    /// One transfer: DATA_HEAD/DOWNLOAD_DATA… in the packet sizes the device offers, then DONE (§3.7).
    private func transfer(_ blob: [UInt8], framing: Framing, offsetBase: Int = 0,
                          progress: (Int) -> Void) async throws(FlashError) {
        var sent = 0
        var index: UInt8 = 0
        while sent < blob.count {
            let remaining = blob.count - sent
            offset = offsetBase + sent
            let head = try await exchange(RequestFrame(.dataHead, payload: LE.bytes(UInt32(remaining))), framing: framing)
            guard head.payload.count == 4 else {
                throw failure(.unexpectedPayload(command: "DATA_HEAD", payload: head.payload), retryable: false)
            }
            let offered = LE.u32(head.payload, at: 0)
            guard offered > 0, offered <= UInt32(remaining), offered <= UInt32(ProtocolConstants.maxPacketSize) else {
                throw failure(.badPacketSize(offered: offered, remaining: remaining), retryable: true)
            }
            let packet = Array(blob[sent..<(sent + Int(offered))])
            _ = try await exchange(RequestFrame(.downloadData, index: index, payload: packet), framing: framing)
            sent += Int(offered)
            index &+= 1
            progress(sent)
        }
        offset = offsetBase + blob.count
        _ = try await exchange(RequestFrame(.done), framing: framing)
    }

    /// Sends `request` and returns the checked answer, resending on retryable failures.
    private func exchange(_ request: RequestFrame, framing: Framing, retries: Int? = nil) async throws(FlashError)
        -> ResponseFrame
    {
        let wire = request.encode(framing)
        let maxPayload = framing == .plain ? ProtocolConstants.maxDLResponsePayload : 255
        let allowed = retries ?? settings.commandRetries
        var attempt = 0
        // What came back for this request without completing an answer before the deadline. A
        // late answer is still the answer: SYS_RST in particular is answered once, then the chip
        // resets (spec §7, SYS_RST row; §6.6 step 8), so a resend can never be answered and
        // flushing the late answer as stale input fails a board that did everything right.
        var unanswered: [UInt8] = []
        while true {
            do throws(FlashError) {
                if attempt > 0 {
                    await settings.sleep(settings.retryPause)
                    unanswered += await drainInput()
                    if let late = Self.lateAnswer(unanswered, to: request, framing: framing, maxPayload: maxPayload) {
                        return late
                    }
                }
                unanswered = []
                try await write(wire)
                let deadline = ContinuousClock.now + settings.responseTimeout
                var head = try await readExactly(ResponseFrame.headSize, deadline: deadline, keeping: &unanswered)
                // A board that took the second copy of a round's sync word for a new burst echoes
                // it again (the ROM's burst rule is inferred, spec §2.3), and the copy arrives in
                // front of the answer. It is never an answer's start: bytes 2–3 of an answer are
                // its order id, never the word's D3 02.
                while let word = lastSync, Array(head.prefix(4)) == word.bytes {
                    unanswered = Array(unanswered.dropFirst(4))
                    head = Array(head.dropFirst(4)) + (try await readExactly(4, deadline: deadline, keeping: &unanswered))
                }
                let rest = try await readExactly(ResponseFrame.bytesAfterHead(head, framing: framing), deadline: deadline,
                                                 keeping: &unanswered)
                unanswered = []
                do {
                    return try ResponseFrame.decode(head + rest, answering: request, framing: framing,
                                                    maxPayload: maxPayload)
                } catch {
                    if case .notAcknowledged = error {
                        onEvent(.refused(phase, image: image, offset: offset, command: commandName(request)))
                    }
                    throw failure(error, retryable: error.isRetryable)
                }
            } catch where error.isRetryable && attempt < allowed {
                attempt += 1
                onEvent(.retrying(phase, image: image, offset: offset, reason: "\(commandName(request)): \(error.cause)"))
            }
        }
    }

    /// The sync procedure of spec §2.2.
    private func sync(_ word: SyncWord) async throws(FlashError) {
        for _ in 0..<settings.syncRounds {
            await drainInput()
            for _ in 0..<settings.syncWordsPerRound { try await write(word.bytes) }
            let echo: [UInt8]
            do throws(FlashError) {
                echo = try await readExactly(4, deadline: ContinuousClock.now + settings.syncEchoTimeout)
            } catch where error.cause == .response(.timeout) {
                continue
            }
            if word == .dlboot && settings.dlbootTrailingByteProbe > .zero {
                if let extra = try? await link.read(maxCount: 1, deadline: ContinuousClock.now + settings.dlbootTrailingByteProbe),
                   extra.first != 0 {
                    continue
                }
            }
            if echo == word.bytes {
                // Spec §2.2: a matched echo is followed by discarding pending input (another
                // echo of the round, a probe's leftovers); `lastSync` covers an echo still on its way.
                await drainInput()
                lastSync = word
                return
            }
        }
        throw failure(.syncFailed(word, rounds: settings.syncRounds), retryable: true)
    }

    // MARK: - Link access with error mapping

    private func write(_ bytes: [UInt8]) async throws(FlashError) {
        do { try await link.write(bytes) } catch { throw linkFailure(error) }
    }

    private func readExactly(_ count: Int, deadline: ContinuousClock.Instant) async throws(FlashError) -> [UInt8] {
        var ignored: [UInt8] = []
        return try await readExactly(count, deadline: deadline, keeping: &ignored)
    }

    /// Reads `count` bytes; everything read is also appended to `kept`, so bytes of an answer
    /// cut off by the deadline are not lost.
    private func readExactly(_ count: Int, deadline: ContinuousClock.Instant,
                             keeping kept: inout [UInt8]) async throws(FlashError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            do {
                let got = try await link.read(maxCount: count - out.count, deadline: deadline)
                out += got
                kept += got
            } catch let error as LinkError {
                if case .timeout = error {
                    throw failure(out.isEmpty ? .timeout : .truncated(got: out.count, needed: count), retryable: true)
                }
                throw linkFailure(error)
            } catch {
                throw linkFailure(error)
            }
        }
        return out
    }

    /// Takes whatever the device sent that is waiting (stale echoes, late answers); the caller
    /// decides whether it is an answer or is dropped.
    @discardableResult
    private func drainInput() async -> [UInt8] {
        var drained: [UInt8] = []
        while let bytes = try? await link.read(maxCount: 4096, deadline: .now), !bytes.isEmpty { drained += bytes }
        return drained
    }

    /// The answer to `request` when `bytes` begin with a complete, valid one (it came after the
    /// deadline); nil for anything else (nothing, a fragment, a NAK, noise), which is dropped.
    static func lateAnswer(_ bytes: [UInt8], to request: RequestFrame, framing: Framing,
                           maxPayload: Int) -> ResponseFrame? {
        guard bytes.count >= ResponseFrame.headSize else { return nil }
        let length = ResponseFrame.headSize + ResponseFrame.bytesAfterHead(Array(bytes.prefix(ResponseFrame.headSize)),
                                                                           framing: framing)
        guard bytes.count >= length else { return nil }
        return try? ResponseFrame.decode(Array(bytes.prefix(length)), answering: request, framing: framing,
                                         maxPayload: maxPayload)
    }

    // MARK: - Errors

    private func enter(_ phase: FlashPhase, image: ImageKind?) {
        self.phase = phase
        self.image = image
        self.offset = nil
        onEvent(.phaseStarted(phase))
    }

    private func failure(_ error: ResponseError, retryable: Bool) -> FlashError {
        FlashError(phase: phase, image: image, offset: offset, cause: .response(error), link: link.name,
                   isRetryable: retryable)
    }

    private func linkFailure(_ error: any Error) -> FlashError {
        let linkError = error as? LinkError ?? .io(link: link.name, reason: "\(error)")
        return FlashError(phase: phase, image: image, offset: offset, cause: .link(linkError), link: link.name,
                          isRetryable: false)
    }

    private func commandName(_ request: RequestFrame) -> String {
        if request.family == .lpc, let c = LPCCommand(rawValue: request.command) { return "LPC \(c)" }
        if let c = DLCommand(rawValue: request.command) { return "\(c)" }
        return hex8(request.command)
    }
}
