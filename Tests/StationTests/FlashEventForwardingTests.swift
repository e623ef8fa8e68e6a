import EC618
import Firmware
import Foundation
import Station
import Testing

/// Which flasher events become station events, and how `--json` prints the new kinds.
@Suite struct FlashEventForwardingTests {
    @Test func shownEventsAreForwardedAndProgressStaysOnItsOwnPath() {
        #expect(StationEvent.Kind(.imageStarted(.ap, name: "ap.bin", size: 4096), step: .flashFull)
                == .imageStarted(.flashFull, image: "AP", name: "ap.bin", bytes: 4096))
        #expect(StationEvent.Kind(.retrying(.burn, image: .cp, offset: 65536, reason: "DONE: timeout"), step: .flashFull)
                == .flashRetry(.flashFull, phase: "burn", image: "CP", offset: 65536, reason: "DONE: timeout"))
        #expect(StationEvent.Kind(.refused(.verify, image: nil, offset: nil, command: "LPC readMem"), step: .flashScript)
                == .flashNAK(.flashScript, phase: "verify", image: nil, offset: nil, command: "LPC readMem"))
        #expect(StationEvent.Kind(.reset(answerOK: false), step: .flashScript) == .resetAnswered(.flashScript, answerOK: false))
        #expect(StationEvent.Kind(.verified(.script, bytes: 10), step: .flashScript)
                == .imageVerified(.flashScript, image: "SCRIPT", bytes: 10))
        #expect(StationEvent.Kind(.progress(.ap, imageDone: 1, imageTotal: 2, planDone: 1, planTotal: 2), step: .flashFull) == nil)
        #expect(StationEvent.Kind(.phaseStarted(.romSync), step: .flashFull) == nil)
    }

    @Test func newKindsHaveTheirJSONLines() {
        func line(_ kind: StationEvent.Kind) -> String {
            StationEvent(at: Date(timeIntervalSince1970: 0), slotPath: "1-1.2", slotLabel: "A2", runID: "r", kind: kind).jsonLine
        }
        #expect(line(.flashRetry(.flashFull, phase: "burn", image: "AP", offset: 16384, reason: "NAK"))
                == #"{"at":"1970-01-01T00:00:00.000Z","event":"flash_retry","image":"AP","label":"A2","offset":16384,"#
                + #""phase":"burn","reason":"NAK","run":"r","slot":"1-1.2","step":"flash_full"}"#)
        #expect(line(.operatorAction(.enterDownloadMode, prompt: "press BOOT")).contains(#""event":"operator_action""#))
        #expect(line(.imageStarted(.flashFull, image: "CP", name: "cp.bin", bytes: 9)).contains(#""bytes":9"#))
        #expect(line(.resetAnswered(.flashFull, answerOK: true)).contains(#""answer_ok":true"#))
        #expect(line(.bootEntryStrategy(.enterDownloadMode, name: "operator")).contains(#""strategy":"operator""#))
        #expect(line(.imageVerified(.flashScript, image: "SCRIPT", bytes: 3)).contains(#""event":"image_verified""#))
        #expect(line(.flashNAK(.flashFull, phase: "burn", image: nil, offset: nil, command: "DONE")).contains(#""command":"DONE""#))
    }
}
