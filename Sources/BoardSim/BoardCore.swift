import Crypto
import EC618
import Firmware

/// The device side of the download protocol, without I/O: the ROM (DLBOOT), the AgentBoot
/// (AGBOOT/LPC) and the two NOR chips. Frames come in decoded; answers go out as values with
/// the time the board spends before answering. Reuses the EC618 codec for frames and headers.
struct BoardCore: Sendable {
    enum Stage: Sendable, Equatable { case rom, agent, reset }

    /// What the board does with one request.
    struct Reply: Sendable {
        var response: ResponseFrame
        /// Erase/program time before the answer leaves.
        var busy: Duration = .zero
        /// SYS_RST: the session ends after this answer.
        var resets = false
    }

    /// One DATA_HEAD/DOWNLOAD_DATA…/DONE transfer being received.
    struct Transfer: Sendable {
        var data: [UInt8] = []
        var offered: Int?
        var nextIndex: UInt8 = 0
        var lastAcked: UInt8?
    }

    /// The image the AgentBoot is burning since BURN_ONE.
    struct Burn: Sendable {
        let id: ImageIdentifier
        let storage: FlashStorage
        var header: ImageHeader?
        var rawOffset = 0
        var committed = 0
        var failure: String?

        var expected: ImageIdentifier {
            guard let header else { return .imgh }
            return committed < Int(header.imageSize) ? id : .imgh
        }
    }

    let config: BoardConfig
    let timing: SimTiming
    let faults: FaultPlan
    private(set) var ap = NORFlash(name: "AP flash", size: EC618FlashMap.apFlashSize)
    private(set) var cp = NORFlash(name: "CP flash", size: EC618FlashMap.cpFlashSize)
    private(set) var stage = Stage.rom
    private var romExpect = ImageIdentifier.imgh
    private var agentHeader: ImageHeader?
    private var transfer = Transfer()
    private var burn: Burn?
    /// Blocks erased in this session: each is erased once, on first write (spec §5: the
    /// AgentBoot erases what it is about to write [I]).
    private var erasedAP = Set<Int>(), erasedCP = Set<Int>()
    private var downloadFrames = 0, burnStatusQueries = 0
    /// The answer to the last command when it was DONE or GET_BURN_STATUS: hosts resend those
    /// when an answer is lost (spec §8.3), and a repeat must get the same answer, not a NAK.
    private var repeatable: (command: UInt8, family: CommandFamily, payload: [UInt8])?
    /// Notes on why the board refused something, for the simulator's log and for tests.
    var refusals: [String] = []
    /// Count of 64 KiB erases done, for the timing model's lower bound.
    private(set) var erasedBlocks = 0
    /// Bytes programmed so far, for the same.
    private(set) var programmedBytes = 0

    init(config: BoardConfig, timing: SimTiming, faults: FaultPlan) {
        self.config = config
        self.timing = timing
        self.faults = faults
    }

    var framing: Framing { stage == .rom ? .plain : .protected }

    mutating func preload(ap apPattern: [UInt8], cp cpPattern: [UInt8]) {
        ap.preload(apPattern)
        cp.preload(cpPattern)
    }

    /// A sync word arrived (after burst filtering). Returns whether this stage answers it.
    mutating func sync(_ word: SyncWord) -> Bool {
        repeatable = nil
        switch (stage, word) {
        case (.rom, .dlboot):
            transfer = Transfer()
            return true
        case (.agent, .agboot):
            transfer = Transfer()   // a restarted block: drop what was not committed by DONE
            return true
        case (.agent, .lpc):
            return true
        default:
            return false
        }
    }

    mutating func handle(_ request: RequestFrame) -> Reply {
        if let last = repeatable, last.command == request.command, last.family == request.family,
           request.payload.isEmpty {
            return ack(request, last.payload)
        }
        repeatable = nil
        let reply: Reply
        switch stage {
        case .rom: reply = rom(request)
        case .agent: reply = agent(request)
        case .reset: reply = nak(request, "board is resetting")
        }
        let isDone = request.family == .dl && request.command == DLCommand.done.rawValue
        let isStatus = request.family == .lpc && request.command == LPCCommand.getBurnStatus.rawValue
        if (isDone || isStatus) && reply.response.state == ResponseState.ack {
            repeatable = (request.command, request.family, reply.response.payload)
        }
        return reply
    }

    // MARK: - ROM

    private mutating func rom(_ request: RequestFrame) -> Reply {
        guard request.family == .dl, let command = DLCommand(rawValue: request.command) else {
            return nak(request, "ROM: unknown command \(request.command)")
        }
        switch command {
        case .getVersion: return ack(request, config.versionAnswer)
        case .selImage: return ack(request, romExpect.bytes)
        case .verifyImage: return ack(request)
        case .dataHead: return dataHead(request, packet: config.romPacketSize)
        case .downloadData: return downloadData(request)
        case .done:
            let received = transfer.data
            transfer = Transfer()
            if romExpect == .imgh {
                do {
                    let header = try ImageHeader.decode(received, checkingHeaderHash: config.checksHeaderHash)
                    guard header.bodyID == .agbt else { return nak(request, "ROM: header announces \(header.bodyID), not AGBT") }
                    agentHeader = header
                    romExpect = .agbt
                    return ack(request)
                } catch {
                    return nak(request, "ROM: \(error)")
                }
            }
            guard let header = agentHeader, header.matches(body: received, checkingHash: config.checksBodyHash) else {
                romExpect = .imgh
                return nak(request, config.checksBodyHash
                           ? "ROM: AgentBoot body does not match its header (size or SHA-256)"
                           : "ROM: AgentBoot body does not match its header size")
            }
            if let accepted = config.acceptedAgentBoots, !accepted.contains(SHA256Hex.of(received)) {
                romExpect = .imgh
                return nak(request, "ROM: AgentBoot \(SHA256Hex.of(received)) is not an accepted build")
            }
            stage = .agent
            return ack(request)
        }
    }

    // MARK: - AgentBoot

    private mutating func agent(_ request: RequestFrame) -> Reply {
        if request.family == .lpc {
            guard let command = LPCCommand(rawValue: request.command) else {
                return nak(request, "AgentBoot: unknown LPC command \(request.command)")
            }
            return lpc(command, request)
        }
        guard let command = DLCommand(rawValue: request.command) else {
            return nak(request, "AgentBoot: unknown DL command \(request.command)")
        }
        switch command {
        case .getVersion: return ack(request, config.versionAnswer)
        case .selImage: return ack(request, (burn?.expected ?? .imgh).bytes)
        case .verifyImage: return ack(request)
        case .dataHead: return dataHead(request, packet: config.agentPacketSize)
        case .downloadData:
            downloadFrames += 1
            if let f = faults.nakBlock, downloadFrames >= f.index, downloadFrames < f.index + f.times {
                return nak(request, "fault: nak-block \(downloadFrames)")
            }
            return downloadData(request)
        case .done: return agentDone(request)
        }
    }

    private mutating func agentDone(_ request: RequestFrame) -> Reply {
        let received = transfer.data
        transfer = Transfer()
        guard var current = burn else { return nak(request, "AgentBoot: DONE without BURN_ONE") }
        defer { burn = current }
        guard let header = current.header else {
            do {
                let header = try ImageHeader.decode(received, checkingHeaderHash: config.checksHeaderHash)
                guard header.bodyID == current.id else {
                    return nak(request, "AgentBoot: header announces \(header.bodyID) after BURN_ONE(\(current.id))")
                }
                let place = BurnAddressing.placement(bodyID: header.bodyID, burnAddress: header.burnAddress,
                                                     storage: current.storage)
                let chip = place.storage == .apFlash ? ap.size : cp.size
                guard Int(place.rawOffset) + Int(header.imageSize) <= chip else {
                    return nak(request, "AgentBoot: \(header.imageSize) bytes at raw \(place.rawOffset) do not fit the \(place.storage)")
                }
                current.header = header
                current.rawOffset = Int(place.rawOffset)
                return ack(request)
            } catch {
                return nak(request, "AgentBoot: \(error)")
            }
        }
        guard !received.isEmpty, current.committed + received.count <= Int(header.imageSize) else {
            current.failure = "block of \(received.count) bytes overruns the announced \(header.imageSize)"
            return nak(request, "AgentBoot: \(current.failure!)")
        }
        var busy = Duration.zero
        do {
            busy = try write(received, at: current.rawOffset + current.committed, storage: current.storage)
        } catch {
            current.failure = error.description
            return nak(request, "AgentBoot: \(error)")
        }
        current.committed += received.count
        var reply = ack(request)
        reply.busy = busy
        return reply
    }

    /// Erases the not-yet-erased blocks under the range, then programs it.
    private mutating func write(_ data: [UInt8], at offset: Int, storage: FlashStorage) throws(NORError) -> Duration {
        var busy = Duration.zero
        if storage == .apFlash {
            for block in ap.blocks(covering: offset..<(offset + data.count)) where !erasedAP.contains(block) {
                try ap.erase(block: block); erasedAP.insert(block); busy += timing.eraseBlock; erasedBlocks += 1
            }
            try ap.program(data, at: offset)
        } else {
            for block in cp.blocks(covering: offset..<(offset + data.count)) where !erasedCP.contains(block) {
                try cp.erase(block: block); erasedCP.insert(block); busy += timing.eraseBlock; erasedBlocks += 1
            }
            try cp.program(data, at: offset)
        }
        // Fault `flip-bit=N`: the Nth programmed byte loses a bit once written; the AgentBoot
        // acknowledges as if it held (only a read-back finds it).
        if let n = faults.flipBit, n >= programmedBytes, n - programmedBytes < data.count {
            let at = offset + (n - programmedBytes)
            if storage == .apFlash { try ap.flipBit(at: at) } else { try cp.flipBit(at: at) }
        }
        programmedBytes += data.count
        return busy + timing.programTime(data.count)
    }

    private mutating func lpc(_ command: LPCCommand, _ request: RequestFrame) -> Reply {
        let p = request.payload
        switch command {
        case .burnOne:
            guard p.count == 4 || p.count == 6, let id = ImageIdentifier(rawValue: u32(p, 0)), id != .imgh else {
                return nak(request, "BURN_ONE: bad payload")
            }
            var storage = FlashStorage.apFlash
            if p.count == 6 {
                guard UInt16(p[4]) | UInt16(p[5]) << 8 == ProtocolConstants.cpFlashIndicator else {
                    return nak(request, "BURN_ONE: unknown flash selector")
                }
                storage = .cpFlash
            }
            burn = Burn(id: id, storage: storage)
            transfer = Transfer()
            return ack(request)
        case .getBurnStatus:
            burnStatusQueries += 1
            defer { burn = nil }
            var ok = false
            var why = "image not complete"
            if let b = burn, let h = b.header, b.failure == nil, b.committed == Int(h.imageSize) {
                if config.checksBodyHash {
                    // Strict mode: what is in the flash now must hash to the header's body hash.
                    let chip = b.storage == .apFlash ? ap : cp
                    if let written = try? chip.read(b.rawOffset..<(b.rawOffset + b.committed)) {
                        ok = Array(SHA256.hash(data: written)) == h.bodyHash
                    }
                    if !ok { why = "image SHA-256 does not match the header's body hash" }
                } else {
                    ok = true
                }
            }
            if faults.burnStatusFailure == burnStatusQueries { ok = false; why = "fault: burn-status \(burnStatusQueries)" }
            if !ok { refusals.append("GET_BURN_STATUS: \(why)") }
            return ack(request, ok ? ProtocolConstants.burnStatusOK : [1, 0, 0, 0])
        case .sysReset:
            stage = .reset
            var reply = ack(request, ProtocolConstants.resetAnswer)
            reply.resets = true
            return reply
        case .flashErase:
            guard p.count == 8 else { return nak(request, "FLASH_ERASE: bad payload") }
            let size = Int(u32(p, 0)), address = u32(p, 4)
            guard let (storage, raw) = xipTarget(address), size > 0 else { return nak(request, "FLASH_ERASE: bad address") }
            var busy = Duration.zero
            let chip = storage == .apFlash ? ap : cp
            guard raw + size <= chip.size else { return nak(request, "FLASH_ERASE: range past the chip") }
            for block in chip.blocks(covering: raw..<(raw + size)) {
                if storage == .apFlash { try? ap.erase(block: block); erasedAP.insert(block) }
                else { try? cp.erase(block: block); erasedCP.insert(block) }
                busy += timing.eraseBlock
                erasedBlocks += 1
            }
            var reply = ack(request)
            reply.busy = busy
            return reply
        case .readMem:
            // Spec §5: u32 length (≤ 240, `MAX_READ_MEM_SIZE` [C]) then u32 address, answered with
            // `length` bytes; §9 [I]: served from the XIP map, AP at 0x800000+, CP at the
            // inferred `ReadBack.cpAddressBase`. What is outside both is refused (NAK, §9 [I]).
            guard p.count == 8 else { return nak(request, "READ_MEM: bad payload") }
            let length = Int(u32(p, 0))
            guard length <= ReadBack.maxChunk, let (storage, raw) = xipTarget(u32(p, 4)),
                  let bytes = try? (storage == .apFlash ? ap : cp).read(raw..<(raw + length)) else {
                return nak(request, "READ_MEM: bad range")
            }
            return ack(request, bytes)
        }
    }

    private func xipTarget(_ address: UInt32) -> (FlashStorage, Int)? {
        if address >= ReadBack.cpAddressBase, address - ReadBack.cpAddressBase < UInt32(cp.size) {
            return (.cpFlash, Int(address - ReadBack.cpAddressBase))
        }
        if address >= ReadBack.apAddressBase, address - ReadBack.apAddressBase < UInt32(ap.size) {
            return (.apFlash, Int(address - ReadBack.apAddressBase))
        }
        return nil
    }

    // MARK: - Transfers (ROM and AgentBoot)

    private mutating func dataHead(_ request: RequestFrame, packet: Int) -> Reply {
        guard request.payload.count == 4 else { return nak(request, "DATA_HEAD: payload is not 4 bytes") }
        let remaining = Int(u32(request.payload, 0))
        guard remaining > 0 else { return nak(request, "DATA_HEAD: nothing to transfer") }
        let offer = min(remaining, packet)
        transfer.offered = offer
        return ack(request, leBytes(UInt32(offer)))
    }

    private mutating func downloadData(_ request: RequestFrame) -> Reply {
        // A resent packet whose answer was lost: acknowledge again, store once (spec §3.7).
        if let last = transfer.lastAcked, request.index == last, transfer.offered == nil {
            return ack(request)
        }
        guard let offered = transfer.offered else { return nak(request, "DOWNLOAD_DATA without DATA_HEAD") }
        guard request.index == transfer.nextIndex else {
            return nak(request, "DOWNLOAD_DATA index \(request.index), expected \(transfer.nextIndex)")
        }
        guard request.payload.count == offered else {
            return nak(request, "DOWNLOAD_DATA carries \(request.payload.count) bytes, \(offered) were offered")
        }
        transfer.data += request.payload
        transfer.offered = nil
        transfer.lastAcked = request.index
        transfer.nextIndex &+= 1
        return ack(request)
    }

    // MARK: - Answers

    private func ack(_ request: RequestFrame, _ payload: [UInt8] = []) -> Reply {
        Reply(response: ResponseFrame(answering: request, payload: payload))
    }

    private mutating func nak(_ request: RequestFrame, _ why: String) -> Reply {
        refusals.append(why)
        return Reply(response: ResponseFrame(answering: request, state: ResponseState.nak))
    }
}

func u32(_ b: [UInt8], _ at: Int) -> UInt32 {
    UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
}

func leBytes(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)] }
