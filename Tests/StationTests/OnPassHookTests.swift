import Foundation
import Records
@testable import Station
import Testing

/// The hook process itself: input, output tail, exit status, and the time limit.
@Suite struct OnPassHookTests {
    private let record = BoardRecordPayload(runID: "r-1", batch: "b", stationID: "s", slot: "1-1", slotLabel: "slot1",
                                            status: .pass, imei: "864536071234566", startedAt: Date())

    @Test func theRecordIsOnStdinAndTheEnvironmentNamesTheBoard() async throws {
        let outcome = await OnPassHook.run("cat; echo \" $PROVISION_RUN_ID $PROVISION_IMEI $PROVISION_SLOT\"",
                                           record: record, timeLimit: .seconds(20))
        #expect(outcome.succeeded)
        #expect(outcome.output.contains("\"run_id\":\"r-1\""))
        #expect(outcome.output.hasSuffix(" r-1 864536071234566 slot1\n"))
    }

    @Test func aHookThatOutlivesItsLimitIsStoppedAndSaysSo() async throws {
        // The limit is what is tested, not a wait for it to pass: sleep far longer than it.
        let outcome = await OnPassHook.run("exec sleep 600", record: record, timeLimit: .milliseconds(300))
        #expect(outcome.timedOut)
        #expect(outcome.exitStatus == nil)
        #expect(!outcome.succeeded)
        #expect(outcome.seconds < 600)
    }

    @Test func aHookThatIgnoresItsInputAndPrintsALotStillEnds() async throws {
        let outcome = await OnPassHook.run("head -c 300000 /dev/zero | tr '\\\\0' x; exit 0", record: record,
                                           timeLimit: .seconds(60))
        #expect(outcome.succeeded)
        #expect(outcome.output.utf8.count == 1024)
    }
}
