/// How long the simulated board takes: the link, erases and programming. Zero values cost
/// nothing (fast unit tests); `realistic` approximates a USB download session for benchmarks.
public struct SimTiming: Sendable, Equatable {
    /// Bytes per second in each direction; 0 = instant.
    public var linkBytesPerSecond: Int
    /// Time to erase one 64 KiB block.
    public var eraseBlock: Duration
    /// Bytes per second written into the NOR; 0 = instant.
    public var programBytesPerSecond: Int

    public init(linkBytesPerSecond: Int, eraseBlock: Duration, programBytesPerSecond: Int) {
        self.linkBytesPerSecond = linkBytesPerSecond
        self.eraseBlock = eraseBlock
        self.programBytesPerSecond = programBytesPerSecond
    }

    public static let fast = SimTiming(linkBytesPerSecond: 0, eraseBlock: .zero, programBytesPerSecond: 0)
    /// 1 MB/s link, 150 ms per 64 KiB erase, 400 KB/s programming.
    public static let realistic = SimTiming(linkBytesPerSecond: 1_000_000, eraseBlock: .milliseconds(150),
                                            programBytesPerSecond: 400_000)

    func linkTime(_ bytes: Int) -> Duration { Self.time(bytes, rate: linkBytesPerSecond) }
    func programTime(_ bytes: Int) -> Duration { Self.time(bytes, rate: programBytesPerSecond) }

    static func time(_ bytes: Int, rate: Int) -> Duration {
        rate <= 0 ? .zero : .nanoseconds(Int64(bytes) * 1_000_000_000 / Int64(rate))
    }

    /// The least time any flasher needs to burn `imageBytes` spread over `eraseBlocks` blocks:
    /// image bytes over the link once, every erase, every byte programmed. Protocol overhead
    /// (frames, syncs, the AgentBoot) is what a flasher adds on top.
    public func lowerBound(imageBytes: Int, eraseBlocks: Int) -> Duration {
        linkTime(imageBytes) + eraseBlock * eraseBlocks + programTime(imageBytes)
    }
}
