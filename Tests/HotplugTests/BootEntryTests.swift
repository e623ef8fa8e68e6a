import EC618
import Firmware
import Foundation
import Links
import Testing

/// A link that records what is written to it and can fail on demand.
actor RecordingLink: ByteLink {
    nonisolated let name = "recording"
    private(set) var writes: [[UInt8]] = []
    private(set) var closed = false
    private let failWith: LinkError?

    init(failWith: LinkError? = nil) { self.failWith = failWith }

    func write(_ bytes: [UInt8]) async throws {
        if let failWith { throw failWith }
        writes.append(bytes)
    }

    func read(maxCount: Int, deadline: ContinuousClock.Instant) async throws -> [UInt8] {
        throw LinkError.timeout(link: name)
    }

    func close() async { closed = true }
}

/// Collects the pauses the boot entry asks for, instead of sleeping.
actor PauseLog {
    private(set) var pauses: [Duration] = []
    func add(_ d: Duration) { pauses.append(d) }
}

@Suite struct BootEntryTests {
    static var profile: Profile {
        get throws {
            let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("profiles/air780e.toml").path
            return try Profile.load(path)
        }
    }

    @Test func sendsTheProfileSequenceWithItsPausesThenWaitsForDownloadMode() async throws {
        let sequence = BootEntrySequence(profile: try Self.profile)
        let link = RecordingLink()
        let pauses = PauseLog()
        let start = ContinuousClock.now
        let result = try await SoftwareBootEntry.enter(
            over: link, sequence: sequence, slot: "A1",
            awaitDownloadMode: { deadline in
                #expect(deadline >= start + .milliseconds(15_000))
                #expect(deadline < start + .milliseconds(16_000))
                return "1-1.3 in download mode"
            },
            sleep: { await pauses.add($0) })
        #expect(result == "1-1.3 in download mode")
        #expect(await link.writes == [Array("AT+ECRST=delay,799\r\n".utf8), [0x7E, 0x00, 0x02, 0x7E]])
        #expect(await pauses.pauses == [.milliseconds(200), .milliseconds(800)])
        #expect(await link.closed, "the x.2 port is released before the board re-enumerates")
    }

    @Test func boardThatNeverComesBackIsATypedError() async throws {
        let sequence = BootEntrySequence(steps: [.init(bytes: [1], wait: .zero)], deadline: .seconds(3))
        await #expect(throws: BootEntryError.downloadModeNotSeen(slot: "A1", after: .seconds(3))) {
            try await SoftwareBootEntry.enter(over: RecordingLink(), sequence: sequence, slot: "A1",
                                              awaitDownloadMode: { _ -> String? in nil })
        }
    }

    @Test func vanishedPortFailsAndIsClosed() async throws {
        let link = RecordingLink(failWith: .unplugged(link: "x.2"))
        await #expect(throws: LinkError.unplugged(link: "x.2")) {
            try await SoftwareBootEntry.enter(over: link, sequence: BootEntrySequence(profile: try Self.profile),
                                              slot: "A1", awaitDownloadMode: { _ in "never asked" })
        }
        #expect(await link.closed)
    }
}
