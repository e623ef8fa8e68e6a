import BoardSim
import EC618
import Links
import Testing

/// One echo per host round of sync words (spec §2.3), however long a loaded host pauses between
/// the round's two copies; a later round is echoed again.
@Suite struct SyncBurstTests {
    @Test func aRoundWhoseCopiesArePausedApartIsEchoedOnce() async throws {
        let board = SimulatedBoard()
        let (host, device) = MemoryLink.pair(name: "sync-burst")
        let serving = Task { await board.serve(on: device) }
        defer { serving.cancel() }
        let word = SyncWord.dlboot.bytes
        try await host.write(word)
        // A loaded host: far more than the tools' 2 ms and the board's 20 ms idle gap.
        try await Task.sleep(for: .milliseconds(80))
        try await host.write(word)
        var echoed: [UInt8] = []
        let end = ContinuousClock.now + .milliseconds(600)
        while let bytes = try? await host.read(maxCount: 64, deadline: end) { echoed += bytes }
        #expect(echoed == word, "one echo for the round, got \(echoed)")

        // The host's next round (after its read timeout) is a new burst.
        try await host.write(word)
        try await host.write(word)
        let again = try await host.read(maxCount: 64, deadline: .now + .seconds(5))
        #expect(again == word)
        await host.close()
        await device.close()
    }
}
