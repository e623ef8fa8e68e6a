// The SoC-log port and the QA script's VUART events, both bytes straight from a board.
// Byte 0 picks the escaping, the framing and where the capture is split between two feeds.
import QA
import Vocabulary
import FuzzEntry

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    guard let selector = input.first else { return 0 }
    let escapings = LogEscaping.allCases, framings = LuatOSLogDecoder.Framing.allCases
    let escaping = escapings[Int(selector) % escapings.count]
    let framing = framings[Int(selector >> 2) % framings.count]
    let capture = Array(input.dropFirst())
    _ = LuatOSLogDecoder.decode(capture, escaping: escaping, framing: framing)

    var decoder = LuatOSLogDecoder(escaping: escaping, framing: framing)
    let split = capture.isEmpty ? 0 : Int(selector >> 4) % capture.count
    _ = decoder.feed(Array(capture[..<split]))
    _ = decoder.feed(Array(capture[split...]))
    _ = decoder.pendingRecord()

    _ = QABoardEvent.parse(capture)
    return 0
}

// SwiftPM aliases `main` to this; libFuzzer's driver takes over from here.
@_cdecl("FuzzLuatOSLog_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    fuzz_entry(argc, argv, fuzz)
}
