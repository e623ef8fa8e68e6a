import BoardSim
import EC618
import Firmware
import Links
import Testing

/// Whether the simulated ROM/AgentBoot check the header and body hashes (spec §10 item 10:
/// unknown on real devices). By default they do not, so what field-used downloaders send is
/// accepted; `checksHeaderHash`/`checksBodyHash` make the board strict.
@Suite("Simulated board hash checks")
struct HashCheckTests {
    static let agentBody = Fixtures.bytes(700, seed: 3)
    static let apImage = Fixtures.bytes(3000, seed: 4)

    static func config(strict: Bool) -> BoardConfig {
        var config = BoardConfig()
        config.checksHeaderHash = strict
        config.checksBodyHash = strict
        return config
    }

    /// The header hash as beanio computes it: SHA-256 over the first 32 header bytes only,
    /// instead of over the whole header with the hash field zeroed (spec §4.4, §10 item 10).
    static func beanioStyle(_ header: ImageHeader) -> [UInt8] {
        var bytes = header.encode()
        bytes.replaceSubrange(32..<64, with: sha256(bytes[0..<32]))
        return bytes
    }

    static func sha256(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        let hex = Array(SHA256Hex.of(bytes).utf8)
        return stride(from: 0, to: hex.count, by: 2).map { UInt8(String(decoding: hex[$0..<($0 + 2)], as: UTF8.self), radix: 16)! }
    }

    /// A board serving on one end of an in-memory link, and the host end.
    struct Session {
        let host: MemoryLink
        let serving: Task<SimulatedBoard.Outcome, Never>
        let board: SimulatedBoard

        init(_ config: BoardConfig) {
            let (host, device) = MemoryLink.pair(name: "hand")
            let board = SimulatedBoard(config: config)
            self.host = host
            self.board = board
            serving = Task { await board.serve(on: device) }
        }

        /// Sends one sync burst; returns whether the board echoed it within `wait` (short when
        /// the test expects silence, so a refusal does not cost the generous answer deadline).
        func sync(_ word: SyncWord, wait: Duration = .seconds(2)) async throws -> Bool {
            try await host.write(word.bytes + word.bytes)
            do {
                return try await host.read(exactly: 4, deadline: .now + wait) == word.bytes
            } catch LinkError.timeout {
                return false
            }
        }

        func exchange(_ request: RequestFrame, _ framing: Framing) async throws -> (state: UInt8, payload: [UInt8]) {
            let answer = try await BoardProtocolTests.exchange(host, request, framing)
            return (answer[4], Array(answer[ResponseFrame.headSize..<(ResponseFrame.headSize + Int(answer[5]))]))
        }

        /// DATA_HEAD / DOWNLOAD_DATA… in the packets the board offers, then DONE (spec §3.7).
        /// Returns the state the board answered DONE with.
        func transfer(_ bytes: [UInt8], _ framing: Framing) async throws -> UInt8 {
            var sent = 0, index: UInt8 = 0
            while sent < bytes.count {
                let offer = try await exchange(RequestFrame(.dataHead, payload: HashCheckTests.leBytes(UInt32(bytes.count - sent))), framing)
                try #require(offer.state == ResponseState.ack)
                let size = Int(offer.payload[0]) | Int(offer.payload[1]) << 8 | Int(offer.payload[2]) << 16
                let data = try await exchange(RequestFrame(.downloadData, index: index,
                                                           payload: Array(bytes[sent..<(sent + size)])), framing)
                try #require(data.state == ResponseState.ack)
                sent += size
                index &+= 1
            }
            return try await exchange(RequestFrame(.done), framing).state
        }

        /// ROM: sync, AgentBoot header, AgentBoot body; returns DONE's states for both.
        func loadAgentBoot(header: [UInt8], body: [UInt8]) async throws -> (header: UInt8, body: UInt8?) {
            try #require(try await sync(.dlboot))
            let headerState = try await transfer(header, .plain)
            guard headerState == ResponseState.ack else { return (headerState, nil) }
            return (headerState, try await transfer(body, .plain))
        }

        func end() async {
            await host.close()
            _ = await serving.value
        }
    }

    static func leBytes(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }

    @Test("an AgentBoot header hashed the beanio way is accepted by default, refused when strict",
          arguments: [false, true])
    func beanioAgentBootHeader(strict: Bool) async throws {
        let header = Self.beanioStyle(.agentBoot(Self.agentBody))
        // The two ways really differ, or this test would prove nothing.
        try #require(Array(header[32..<64]) != Array(ImageHeader.agentBoot(Self.agentBody).encode()[32..<64]))
        let session = Session(Self.config(strict: strict))
        let states = try await session.loadAgentBoot(header: header, body: Self.agentBody)
        if strict {
            #expect(states.header == ResponseState.nak)
            #expect(await session.board.refusals.contains("ROM: image header hash does not match the header"))
            // Still in the ROM: the AgentBoot never started.
            #expect(try await session.sync(.agboot, wait: .milliseconds(200)) == false)
        } else {
            #expect(states.header == ResponseState.ack)
            #expect(states.body == ResponseState.ack)
            #expect(try await session.sync(.agboot))   // the AgentBoot runs
        }
        await session.end()
    }

    @Test("a flash-image header hashed the beanio way is accepted by default, refused when strict",
          arguments: [false, true])
    func beanioImageHeader(strict: Bool) async throws {
        let session = Session(Self.config(strict: strict))
        let rom = try await session.loadAgentBoot(header: ImageHeader.agentBoot(Self.agentBody).encode(), body: Self.agentBody)
        try #require(rom.header == ResponseState.ack && rom.body == ResponseState.ack)
        try #require(try await session.sync(.agboot))
        let burn = try await session.exchange(RequestFrame(.burnOne, payload: ImageIdentifier.aimg.bytes), .protected)
        try #require(burn.state == ResponseState.ack)
        let header = Self.beanioStyle(ImageHeader(bodyID: .aimg, burnAddress: 0x24000, image: Self.apImage))
        let state = try await session.transfer(header, .protected)
        if strict {
            #expect(state == ResponseState.nak)
            #expect(await session.board.refusals.contains("AgentBoot: image header hash does not match the header"))
        } else {
            #expect(state == ResponseState.ack)
            #expect(try await session.transfer(Self.apImage, .protected) == ResponseState.ack)
            #expect(try await session.exchange(RequestFrame(.getBurnStatus), .protected).payload
                    == ProtocolConstants.burnStatusOK)
        }
        await session.end()
    }

    @Test("other header fields are checked even when the header hash is not")
    func otherFieldsStillChecked() async throws {
        var header = ImageHeader.agentBoot(Self.agentBody).encode()
        header[16] = 2   // image count
        let session = Session(Self.config(strict: false))
        let states = try await session.loadAgentBoot(header: header, body: Self.agentBody)
        #expect(states.header == ResponseState.nak)
        #expect(await session.board.refusals.contains { $0.contains("image count") })
        await session.end()
    }

    @Test("an image whose body hash does not match passes GET_BURN_STATUS by default, fails it when strict",
          arguments: [false, true])
    func bodyHashMismatch(strict: Bool) async throws {
        let session = Session(Self.config(strict: strict))
        let rom = try await session.loadAgentBoot(header: ImageHeader.agentBoot(Self.agentBody).encode(), body: Self.agentBody)
        try #require(rom.header == ResponseState.ack && rom.body == ResponseState.ack)
        try #require(try await session.sync(.agboot))
        _ = try await session.exchange(RequestFrame(.burnOne, payload: ImageIdentifier.aimg.bytes), .protected)
        // The header announces one image; an image of the same size but other bytes is burnt.
        var other = Self.apImage
        other[1234] ^= 0x55
        let header = ImageHeader(bodyID: .aimg, burnAddress: 0x24000, image: Self.apImage).encode()
        try #require(try await session.transfer(header, .protected) == ResponseState.ack)
        try #require(try await session.transfer(other, .protected) == ResponseState.ack)
        let status = try await session.exchange(RequestFrame(.getBurnStatus), .protected)
        #expect(status.state == ResponseState.ack)
        if strict {
            #expect(status.payload == [1, 0, 0, 0])
            #expect(await session.board.refusals.contains {
                $0.hasPrefix("GET_BURN_STATUS:") && $0.contains("body hash")
            })
        } else {
            #expect(status.payload == ProtocolConstants.burnStatusOK)
            #expect(await session.board.refusals.isEmpty)
        }
        await session.end()
    }

    @Test("an AgentBoot body whose hash does not match loads by default, is refused when strict",
          arguments: [false, true])
    func agentBootBodyHashMismatch(strict: Bool) async throws {
        var other = Self.agentBody
        other[0] ^= 0xFF
        let session = Session(Self.config(strict: strict))
        let states = try await session.loadAgentBoot(header: ImageHeader.agentBoot(Self.agentBody).encode(), body: other)
        #expect(states.header == ResponseState.ack)
        #expect(states.body == (strict ? ResponseState.nak : ResponseState.ack))
        #expect(try await session.sync(.agboot, wait: strict ? .milliseconds(200) : .seconds(2)) == !strict)
        await session.end()
    }

    @Test("a body of the wrong size is refused whatever the hash setting")
    func wrongSizeAlwaysRefused() async throws {
        let session = Session(Self.config(strict: false))
        let states = try await session.loadAgentBoot(header: ImageHeader.agentBoot(Self.agentBody).encode(),
                                                     body: Array(Self.agentBody.dropLast()))
        #expect(states.body == ResponseState.nak)
        #expect(await session.board.refusals.contains("ROM: AgentBoot body does not match its header size"))
        await session.end()
    }
}
