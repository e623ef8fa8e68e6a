/// How long the simulated board takes for every phase a station sees: the USB download link,
/// erases and programming, USB re-enumeration after a reset and after boot entry, the boot to the
/// first log line, the 4G attach, and the 4G link every HTTP exchange crosses. `fast` keeps unit
/// tests and the README's main job quick; `realistic` is what a line forecast is made from, each
/// figure named with where it comes from (see README, "Simulation timing").
public struct SimTiming: Sendable, Equatable {
    /// Bytes per second in each direction of the USB download link; 0 = instant.
    public var linkBytesPerSecond: Int
    /// Time to erase one 64 KiB block.
    public var eraseBlock: Duration
    /// Bytes per second written into the NOR; 0 = instant.
    public var programBytesPerSecond: Int
    /// From the chip's reset (SYS_RST, an app reset, the end of a boot-entry reset) to the running
    /// trio `19D1:0001` x.2/x.4/x.6 on the bus again (download → running).
    public var reEnumerateAfterReset: Duration = .zero
    /// From the boot-entry reset to the ROM's `17D1:0001` port on the bus (running → download);
    /// a board seated with BOOT held takes the same to appear.
    public var reEnumerateAfterBootEntry: Duration = .zero
    /// From the running ports appearing to the firmware's first log line (the runtime starting).
    public var bootToFirstLog: Duration = .zero
    /// From the first log line to `IP_READY` (4G attach).
    public var attach: Duration = .milliseconds(200)
    /// Round-trip time of the 4G link, paid twice by every HTTP exchange (`CellLinkTiming`).
    public var networkRoundTrip: Duration = .zero
    /// Bytes per second of the 4G link, both ways, for every HTTP request and response body; 0 = instant.
    public var networkBytesPerSecond: Int = 0

    public init(linkBytesPerSecond: Int, eraseBlock: Duration, programBytesPerSecond: Int) {
        self.linkBytesPerSecond = linkBytesPerSecond
        self.eraseBlock = eraseBlock
        self.programBytesPerSecond = programBytesPerSecond
    }

    /// Instant flash and network; a reset still takes the bus's `resetGap` and the attach 200 ms,
    /// the figures simulated lines have always used.
    public static let fast = SimTiming(linkBytesPerSecond: 0, eraseBlock: .zero, programBytesPerSecond: 0)

    /// Every figure with its source; [I] = inferred, with the reasoning.
    public static let realistic: SimTiming = {
        // [I] USB full speed carries ~1 MB/s of bulk data once framing is paid; the download
        // protocol is host-driven with small answers (spec ec618 §1).
        var t = SimTiming(linkBytesPerSecond: 1_000_000,
                          // [I] typical SPI NOR 64 KiB block erase (datasheet class figure).
                          eraseBlock: .milliseconds(150),
                          // [I] SPI NOR page programming, ~400 KB/s sustained.
                          programBytesPerSecond: 400_000)
        // [S] spec ec618 §6.6 step 8: after SYS_RST, `19D1:0001` reappears "typically seconds"
        // (luatos-cli allows 5–15 s); 2 s is the short end of "seconds".
        t.reEnumerateAfterReset = .seconds(2)
        // [S] spec ec618 §8.1: luatos-cli settles 500 ms after the boot port appears and
        // polls every 100 ms; the ROM enumerates a single CDC port at once, so ~0.6 s.
        t.reEnumerateAfterBootEntry = .milliseconds(600)
        // [I] spec luatos-formats §5.3: the boot log (`I/pm poweron`, `I/main LuatOS@EC618 …`,
        // `loadlibs`) comes before `main.lua`; the device timestamps of such captures put the
        // first record a few hundred ms after the ports appear.
        t.bootToFirstLog = .milliseconds(500)
        // [I] LTE Cat.1 attach after power-on with a provisioned SIM is a few seconds (cell
        // search, RRC, attach, default bearer); the profile's 60 s budget is its upper bound.
        t.attach = .seconds(3)
        // [I] LTE user-plane latency to a public host: ~80 ms round trip is typical for Cat.1.
        t.networkRoundTrip = .milliseconds(80)
        // [I] Air780E is LTE Cat.1 (10 Mbit/s down, 5 Mbit/s up nominal); 1 Mbit/s both ways is
        // what a shared factory cell gives a module with modest signal, the slower (upload) side.
        t.networkBytesPerSecond = 125_000
        return t
    }()

    func linkTime(_ bytes: Int) -> Duration { Self.time(bytes, rate: linkBytesPerSecond) }
    func programTime(_ bytes: Int) -> Duration { Self.time(bytes, rate: programBytesPerSecond) }
    /// The 4G link as the firmware's HTTP client pays it.
    public var cellLink: CellLinkTiming { CellLinkTiming(roundTrip: networkRoundTrip, bytesPerSecond: networkBytesPerSecond) }

    static func time(_ bytes: Int, rate: Int) -> Duration {
        // Sizes come from plans and files: saturate rather than trap on absurd values.
        guard rate > 0, bytes > 0 else { return .zero }
        let (nanos, overflow) = Int64(bytes).multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .seconds(Int64(bytes) / Int64(rate)) : .nanoseconds(nanos / Int64(rate))
    }

    /// The least time any flasher needs to burn `imageBytes` spread over `eraseBlocks` blocks:
    /// image bytes over the link once, every erase, every byte programmed. Protocol overhead
    /// (frames, syncs, the AgentBoot) is what a flasher adds on top.
    public func lowerBound(imageBytes: Int, eraseBlocks: Int) -> Duration {
        linkTime(imageBytes) + eraseBlock * eraseBlocks + programTime(imageBytes)
    }
}

/// Sleeps for a timing figure; a zero figure (fast timing) costs no suspension at all.
func simulatedPause(_ duration: Duration) async {
    if duration > .zero { try? await Task.sleep(for: duration) }
}
