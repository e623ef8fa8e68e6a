import BoardSim
import QA
import Testing
import Vocabulary

@Suite("LuatOS log decoder")
struct LuatOSLogDecoderTests {
    /// The real EC618 capture of spec §5.4, worked example 1.
    static let realCapture: [UInt8] = [0x7E, 0x59, 0x99, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x4C, 0xEA, 0x73, 0x0A,
        0x25, 0x2E, 0x2A, 0x73, 0x00, 0x00, 0x00, 0x00, 0x1C, 0x00, 0x00, 0x00]
        + Array("I/user.GPIO\tGo Go Go\t0\tEC618".utf8) + [0x7E]

    @Test("the real EC618 capture decodes to its text, time and tag")
    func realCaptureDecodes() {
        let records = LuatOSLogDecoder.decode(Self.realCapture)
        #expect(records.count == 1)
        let record = try! #require(records.first)
        #expect(record.text == "I/user.GPIO\tGo Go Go\t0\tEC618")
        #expect(record.milliseconds == 170_329)
        #expect(record.tag == "LTOS")
        #expect(record.level == "I")
        #expect(record.module == "user.GPIO")
        #expect(record.arguments == ["Go Go Go", "0", "EC618"])
    }

    @Test("a C printf record (CAPP-style) formats its arguments")
    func printfRecord() {
        // The EC718 vector of spec §5.4: "D/main %s luavm %ld %ld %ld".
        var payload: [UInt8] = [0xA4, 0, 0, 0, 0, 0, 0, 0, 0xC3, 0x20, 0x14, 0x0A]
        payload += Array("D/main %s luavm %ld %ld %ld".utf8) + [0]
        payload += [8, 0, 0, 0] + Array("loadlibs".utf8)
        payload += [0xF8, 0xFF, 0x3F, 0x00, 0x98, 0x3E, 0x00, 0x00, 0x98, 0x3E, 0x00, 0x00]
        let records = LuatOSLogDecoder.decode([0x7E] + payload + [0x7E])
        #expect(records.map(\.text) == ["D/main loadlibs luavm 4194296 16024 16024"])
    }

    @Test("escaping is a setting: AirM2M and the ectool reading decode a '~' differently")
    func escapingSettings() {
        // Spec fixture: text "I/user.x a~b" with 7E sent as 7D 02.
        let frame = LuatOSLogFrame.encode(text: Array("I/user.x a~b}".utf8), milliseconds: 1234, escaping: .airm2m)
        #expect(frame.suffix(7) == [0x61, 0x7D, 0x02, 0x62, 0x7D, 0x01, 0x7E])
        #expect(LuatOSLogDecoder.decode(frame, escaping: .airm2m).map(\.text) == ["I/user.x a~b}"])
        #expect(LuatOSLogDecoder.decode(frame, escaping: .ectool).map(\.text) == ["I/user.x a\u{7F}b}"])
        let hdlc = LuatOSLogFrame.encode(text: Array("I/user.x a~b}".utf8), milliseconds: 1234, escaping: .hdlc)
        #expect(LuatOSLogDecoder.decode(hdlc, escaping: .hdlc).map(\.text) == ["I/user.x a~b}"])
        // The recommended decoder also accepts the HDLC codes (they cannot collide).
        #expect(LuatOSLogDecoder.decode(hdlc, escaping: .airm2m).map(\.text) == ["I/user.x a~b}"])
        #expect(LuatOSLogDecoder.decode(frame).first?.milliseconds == 1234)
    }

    /// One `LogEscaping` for the simulated board's encoder and the station's decoder: every
    /// setting the encoder writes, the decoder of the same setting reads back (the ectool reading
    /// takes AirM2M's bytes and differs only on a '~').
    @Test("the encoder and the decoder share one escaping setting", arguments: LogEscaping.allCases)
    func oneEscaping(escaping: LogEscaping) {
        let text = "I/user.x a}b" + (escaping == .ectool ? "" : "~")
        let frame = LuatOSLogFrame.encode(text: Array(text.utf8), milliseconds: 1, escaping: escaping)
        #expect(!frame.dropFirst().dropLast().contains(LogEscaping.flag))
        #expect(LuatOSLogDecoder.decode(frame, escaping: escaping).map(\.text) == [text])
    }

    @Test("frames split across reads, empty frames skipped; text-line logs parse too")
    func streamingAndText() {
        let frames = LuatOSLogFrame.encode(text: Array("I/user.a\t1".utf8), milliseconds: 1)
            + [0x7E] + LuatOSLogFrame.encode(text: Array("W/user.b 2 3".utf8), milliseconds: 2)
        var decoder = LuatOSLogDecoder()
        var records: [LuatOSLogRecord] = []
        for chunk in stride(from: 0, to: frames.count, by: 5) {
            records += decoder.feed(Array(frames[chunk..<min(chunk + 5, frames.count)]))
        }
        #expect(records.map(\.text) == ["I/user.a\t1", "W/user.b 2 3"])
        #expect(records[1].arguments == ["2", "3"])
        let text = LuatOSLogDecoder.decode(Array("I/user.http.get 200 ok\r\nE/main boom\n".utf8))
        #expect(text.map(\.text) == ["I/user.http.get 200 ok", "E/main boom"])
        #expect(text[0].module == "user.http.get" && text[0].arguments.first == "200")
        #expect(text[0].milliseconds == nil)
    }
}
