/// What the simulated ROM and AgentBoot say and accept. Defaults follow spec §9; the values
/// marked [I] there are inferences and are kept here as named settings.
public struct BoardConfig: Sendable, Equatable {
    /// Packet size the ROM offers in DATA_HEAD (spec §3.7: ≈0x400 [I]).
    public var romPacketSize = 0x400
    /// Packet size the AgentBoot offers (≈0x4000 [I]).
    public var agentPacketSize = 0x4000
    /// GET_VERSION answer (the real ROM's, from the capture; reused for the AgentBoot).
    public var versionAnswer: [UInt8] = [0x00, 0x00, 0x00, 0x02, 0x01, 0x00, 0x00, 0x00, 0x02, 0x26, 0x21, 0x20]
    /// AgentBoot bodies the ROM accepts, by SHA-256 hex. `nil`: any body whose size matches its
    /// header (and, with `checksBodyHash`, whose SHA-256 does too).
    public var acceptedAgentBoots: Set<String>?
    /// Whether the ROM and the AgentBoot refuse an image header whose header hash (bytes
    /// 32..<64) is not the SHA-256 of spec §4.4. Unknown real behaviour (spec §10 item 10: beanio
    /// hashes only the first 32 header bytes and is said to work); off by default, on = strict.
    /// The other header fields (size, version, identifier, image count, ids) are always checked.
    public var checksHeaderHash = false
    /// Whether the ROM compares an AgentBoot body, and GET_BURN_STATUS a burnt image, with the
    /// header's body hash (bytes 96..<128). Unknown real behaviour (spec §10 item 10; hash type
    /// 0xEE means "no hash"); off by default, on = strict. The size is always checked, and a
    /// damaged frame is caught by its checksum or CRC (spec §3.3) either way.
    public var checksBodyHash = false
    /// Copies of a sync word one echo answers (spec §2.3: every host sends 2 per round).
    public var syncWordsPerBurst = 2
    /// Silence after which a resynchronising board (one that dropped a malformed frame) listens again.
    public var idleGap: Duration = .milliseconds(20)
    /// Silence after which a copy of a sync word starts a new burst (and is echoed). The copies
    /// of one round are 2 ms apart (spec §2.2), far more on a loaded host: a board that ended
    /// the burst after 20 ms echoed the second copy again, and the extra echo sat in front of the
    /// host's next answer (the ectool cross-check failed so under CPU load). A host's next
    /// round comes after its read timeout, 100 ms at the shortest (vendor C tool, spec §8.1).
    public var syncBurstGap: Duration = .milliseconds(100)
    /// Silence after which a half-received frame is thrown away. Generous: hosts that write in
    /// 64-byte pieces with pauses (ectool) must not lose frames on a loaded machine, and a
    /// damaged frame is caught by its CRC or length check anyway.
    public var partialFrameTimeout: Duration = .milliseconds(500)
    /// Largest request payload the board waits for before calling a length invalid.
    public var maxRequestPayload = 0x10000

    public init() {}
}
