import EC618
import Testing

/// Spec §3.3 "Whole-frame vectors".
@Suite("Request and response frames")
struct FrameVectorTests {
    static let requests: [(String, RequestFrame, Framing, String)] = [
        ("DLBOOT GET_VERSION", RequestFrame(.getVersion), .plain, "20 00 CD 32 00 00 00 00"),
        ("DLBOOT DATA_HEAD(272)", RequestFrame(.dataHead, payload: [0x10, 0x01, 0, 0]), .plain,
         "31 00 CD 32 04 00 00 00 10 01 00 00"),
        ("DLBOOT DOWNLOAD_DATA 0", RequestFrame(.downloadData, index: 0, payload: [1, 2, 3, 4]), .plain,
         "32 00 CD 32 04 00 00 00 01 02 03 04 3F 01 00 00"),
        ("DLBOOT DOWNLOAD_DATA 3", RequestFrame(.downloadData, index: 3, payload: [0xAA, 0x55]), .plain,
         "32 03 CD 32 02 00 00 00 AA 55 35 02 00 00"),
        ("AGBOOT GET_VERSION", RequestFrame(.getVersion), .protected, "20 00 CD 32 00 00 00 00 B3 5B C3 EA"),
        ("AGBOOT SEL_IMAGE", RequestFrame(.selImage), .protected, "21 00 CD 32 00 00 00 00 2D 5B 69 26"),
        ("AGBOOT VERIFY_IMAGE", RequestFrame(.verifyImage), .protected, "22 00 CD 32 00 00 00 00 CE 5C E6 A8"),
        ("AGBOOT DONE", RequestFrame(.done), .protected, "3A 00 CD 32 00 00 00 00 50 76 B8 07"),
        ("AGBOOT DATA_HEAD(0x10000)", RequestFrame(.dataHead, payload: [0, 0, 1, 0]), .protected,
         "31 00 CD 32 04 00 00 9E 00 00 01 00 FA EE 8E E4"),
        ("AGBOOT DOWNLOAD_DATA 0", RequestFrame(.downloadData, payload: [1, 2, 3, 4]), .protected,
         "32 00 CD 32 04 00 00 9E 01 02 03 04 9A 29 73 1D"),
        ("LPC BURN_ONE(AGBT)", RequestFrame(.burnOne, payload: ImageIdentifier.agbt.bytes), .protected,
         "42 00 4C B3 04 00 00 9E 49 4D 42 4F 2E 82 DA 6C"),
        ("LPC BURN_ONE(AIMG)", RequestFrame(.burnOne, payload: ImageIdentifier.aimg.bytes), .protected,
         "42 00 4C B3 04 00 00 9E 49 42 4B 44 D2 A7 96 21"),
        ("LPC BURN_ONE(FLEX)", RequestFrame(.burnOne, payload: ImageIdentifier.flex.bytes), .protected,
         "42 00 4C B3 04 00 00 9E 49 58 4C 46 9F 76 68 91"),
        ("LPC BURN_ONE(CIMG, CP)", RequestFrame(.burnOne, payload: ImageIdentifier.cimg.bytes + [0x01, 0xE1]), .protected,
         "42 00 4C B3 06 00 00 D1 49 42 50 43 01 E1 36 57 D1 F2"),
        ("LPC GET_BURN_STATUS", RequestFrame(.getBurnStatus), .protected, "44 00 4C B3 00 00 00 00 AD AB 08 E7"),
        ("LPC SYS_RST", RequestFrame(.sysReset), .protected, "AA 00 4C B3 00 00 00 00 FE 9C 52 71"),
        ("LPC FLASH_ERASE", RequestFrame(.flashErase, payload: hex("00 10 00 00 00 00 80 00")), .protected,
         "10 00 4C B3 08 00 00 25 00 10 00 00 00 00 80 00 9A C5 58 21"),
        ("LPC READ_MEM", RequestFrame(.readMem, payload: hex("10 00 00 00 00 00 80 00")), .protected,
         "21 00 4C B3 08 00 00 25 10 00 00 00 00 00 80 00 0D BC 4D 65"),
    ]

    @Test("encode", arguments: requests.indices)
    func encode(_ i: Int) {
        let (name, frame, framing, wire) = Self.requests[i]
        #expect(frame.encode(framing) == hex(wire), "\(name)")
    }

    @Test("device-side decode gives the frame back", arguments: requests.indices)
    func decode(_ i: Int) {
        let (name, frame, framing, wire) = Self.requests[i]
        let bytes = hex(wire)
        #expect(RequestFrame.decode(bytes[...], framing: framing, maxPayload: 0x10000) == .frame(frame, consumed: bytes.count),
                "\(name)")
    }

    @Test func decodeWaitsForTheWholeFrame() {
        let bytes = hex("32 00 CD 32 04 00 00 9E 01 02 03 04 9A 29 73 1D")
        #expect(RequestFrame.decode(bytes[0..<5], framing: .protected, maxPayload: 0x10000) == .incomplete(needed: 8))
        #expect(RequestFrame.decode(bytes[0..<12], framing: .protected, maxPayload: 0x10000) == .incomplete(needed: 16))
    }

    @Test func decodeRefusesDamage() {
        var badCRC = hex("32 00 CD 32 04 00 00 9E 01 02 03 04 9A 29 73 1D")
        badCRC[9] ^= 0x01
        guard case .malformed(.trailer, let head) = RequestFrame.decode(badCRC[...], framing: .protected, maxPayload: 0x10000) else {
            Issue.record("a payload bit flip must fail the CRC-32"); return
        }
        #expect(head == [0x32, 0, 0xCD, 0x32])
        var badLength = hex("32 00 CD 32 04 00 00 9E 01 02 03 04 9A 29 73 1D")
        badLength[7] = 0x9F
        #expect(RequestFrame.decode(badLength[...], framing: .protected, maxPayload: 0x10000)
                == .malformed(.lengthCRC(wire: 0x9F00_0004), head: [0x32, 0, 0xCD, 0x32]))
        var badSum = hex("32 00 CD 32 04 00 00 00 01 02 03 04 3F 01 00 00")
        badSum[8] = 0x02
        if case .malformed(.trailer, _) = RequestFrame.decode(badSum[...], framing: .plain, maxPayload: 0x10000) {} else {
            Issue.record("DLBOOT DOWNLOAD_DATA must check its additive sum")
        }
        #expect(RequestFrame.decode(hex("20 00 CD 33 00 00 00 00")[...], framing: .plain, maxPayload: 16)
                == .malformed(.badOrderID(0xCD, 0x33), head: nil))
        #expect(RequestFrame.decode(hex("20 00 CD 32 00 00 01 00")[...], framing: .plain, maxPayload: 0xFFFF)
                == .malformed(.tooLong(0x10000), head: [0x20, 0, 0xCD, 0x32]))
    }

    static let responses: [(String, ResponseFrame, Framing, String)] = [
        ("DLBOOT GET_VERSION", ResponseFrame(answering: RequestFrame(.getVersion), payload: hex("00 00 00 02 01 00 00 00 02 26 21 20")),
         .plain, "20 00 CD 32 00 0C 00 00 00 02 01 00 00 00 02 26 21 20"),
        ("DLBOOT SEL_IMAGE → IMGH", ResponseFrame(answering: RequestFrame(.selImage), payload: ImageIdentifier.imgh.bytes),
         .plain, "21 00 CD 32 00 04 48 4D 49 54"),
        ("DLBOOT DOWNLOAD_DATA 0", ResponseFrame(answering: RequestFrame(.downloadData, index: 0)), .plain, "32 01 CD 32 00 00"),
        ("AGBOOT VERIFY_IMAGE", ResponseFrame(answering: RequestFrame(.verifyImage)), .protected, "22 00 CD 32 00 00 BB 02 6E 58"),
        ("AGBOOT DATA_HEAD tb=0x4000", ResponseFrame(answering: RequestFrame(.dataHead), payload: [0, 0x40, 0, 0]), .protected,
         "31 00 CD 32 00 04 00 40 00 00 ED 4C FE 3F"),
        ("AGBOOT DOWNLOAD_DATA 0", ResponseFrame(answering: RequestFrame(.downloadData, index: 0)), .protected,
         "32 01 CD 32 00 00 90 29 D8 66"),
        ("AGBOOT DONE", ResponseFrame(answering: RequestFrame(.done)), .protected, "3A 00 CD 32 00 00 4D 82 EB B7"),
        ("LPC BURN_ONE", ResponseFrame(answering: RequestFrame(.burnOne)), .protected, "42 00 4C B3 00 00 08 AD 88 E5"),
        ("LPC GET_BURN_STATUS ok", ResponseFrame(answering: RequestFrame(.getBurnStatus), payload: [0, 0, 0, 0]), .protected,
         "44 00 4C B3 00 04 00 00 00 00 F3 EB F4 EE"),
        ("LPC SYS_RST", ResponseFrame(answering: RequestFrame(.sysReset), payload: Array("ZzZzZzZz".utf8)), .protected,
         "AA 00 4C B3 00 08 5A 7A 5A 7A 5A 7A 5A 7A A5 E8 98 9A"),
        ("NAK (DLBOOT)", ResponseFrame(answering: RequestFrame(.getVersion), state: ResponseState.nak), .plain, "20 00 CD 32 01 00"),
    ]

    @Test("response encode", arguments: responses.indices)
    func responseEncode(_ i: Int) {
        let (name, frame, framing, wire) = Self.responses[i]
        #expect(frame.encode(framing) == hex(wire), "\(name)")
    }

    @Test func hostChecksEveryResponseField() {
        let request = RequestFrame(.downloadData, index: 0, payload: [1])
        let good = hex("32 01 CD 32 00 00 90 29 D8 66")
        #expect(throws: Never.self) { try ResponseFrame.decode(good, answering: request, framing: .protected, maxPayload: 255) }
        var crc = good; crc[9] ^= 1
        #expect(throws: ResponseError.crcMismatch(expected: 0x66D8_2990, got: 0x67D8_2990)) {
            try ResponseFrame.decode(crc, answering: request, framing: .protected, maxPayload: 255)
        }
        let sameIndex = ResponseFrame(command: 0x32, index: 0, family: .dl, state: 0).encode(.protected)
        #expect(throws: ResponseError.wrongIndex(expected: 1, got: 0)) {
            try ResponseFrame.decode(sameIndex, answering: request, framing: .protected, maxPayload: 255)
        }
        let otherCommand = ResponseFrame(command: 0x31, index: 1, family: .dl, state: 0).encode(.protected)
        #expect(throws: ResponseError.wrongCommand(expected: 0x32, got: 0x31)) {
            try ResponseFrame.decode(otherCommand, answering: request, framing: .protected, maxPayload: 255)
        }
        let lpc = ResponseFrame(command: 0x32, index: 1, family: .lpc, state: 0).encode(.protected)
        #expect(throws: ResponseError.wrongOrderID(expected: 0xCD, got: 0x4C)) {
            try ResponseFrame.decode(lpc, answering: request, framing: .protected, maxPayload: 255)
        }
        #expect(throws: ResponseError.notAcknowledged(state: 1, payload: [])) {
            try ResponseFrame.decode(hex("20 00 CD 32 01 00"), answering: RequestFrame(.getVersion), framing: .plain, maxPayload: 12)
        }
        let long = ResponseFrame(answering: RequestFrame(.getVersion), payload: [UInt8](repeating: 0, count: 13)).encode(.plain)
        #expect(throws: ResponseError.payloadTooLong(13, limit: 12)) {
            try ResponseFrame.decode(long, answering: RequestFrame(.getVersion), framing: .plain, maxPayload: 12)
        }
        #expect(throws: ResponseError.truncated(got: 8, needed: 10)) {
            try ResponseFrame.decode(Array(good.prefix(8)), answering: request, framing: .protected, maxPayload: 255)
        }
    }
}
