@testable import BoardSim
import EC618
import Testing

/// One echo per host round of sync words (spec §2.3), however long a loaded host pauses between
/// the round's two copies (longer than the 20 ms resync gap); a later round is echoed again.
/// Times are given to the wire session, so the test holds on a loaded machine.
@Suite struct SyncBurstTests {
    func echoes(_ session: inout WireSession, _ word: SyncWord, at now: ContinuousClock.Instant) -> [Bool] {
        session.append(word.bytes, now: now)
        var out: [Bool] = []
        while let unit = session.next() {
            if case .sync(_, let echo) = unit { out.append(echo) }
        }
        return out
    }

    @Test func aRoundWhoseCopiesArePausedApartIsEchoedOnceAndTheNextRoundAgain() {
        var session = WireSession(config: BoardConfig())
        let t0 = ContinuousClock.now
        #expect(echoes(&session, .dlboot, at: t0) == [true])
        // The round's second copy, 80 ms later: a loaded host, not a new round.
        session.idle(now: t0 + .milliseconds(60))
        #expect(echoes(&session, .dlboot, at: t0 + .milliseconds(80)) == [false])
        // The next round, after the host's read timeout.
        session.idle(now: t0 + .milliseconds(500))
        #expect(echoes(&session, .dlboot, at: t0 + .milliseconds(880)) == [true])
        #expect(echoes(&session, .dlboot, at: t0 + .milliseconds(882)) == [false])
    }
}
