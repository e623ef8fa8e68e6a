// The EC618 download protocol's decoders, sans I/O.
// Byte 0 picks the framing and the request being answered; the rest is what the board sent.
// Host side (the flasher): a response head, its announced length, then decode. Device side
// (the simulated board): a request decoded from a slice that does not start at index 0, as
// WireSession hands it over. Then an image header as the ROM would read it.
import EC618
import FuzzEntry

// Every command the flasher sends; DOWNLOAD_DATA with a non-zero index (its answer is index + 1).
private let requests: [RequestFrame] =
    DLCommand.allCases.map { RequestFrame($0, index: $0 == .downloadData ? 7 : 0) }
    + LPCCommand.allCases.map { RequestFrame($0) }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    guard let selector = input.first else { return 0 }
    let framing: Framing = selector & 1 == 0 ? .plain : .protected
    let request = requests[Int(selector >> 1) % requests.count]
    let wire = Array(input.dropFirst())

    if wire.count >= ResponseFrame.headSize {
        let head = Array(wire.prefix(ResponseFrame.headSize))
        let rest = ResponseFrame.bytesAfterHead(head, framing: framing)
        let frame = head + wire.dropFirst(ResponseFrame.headSize).prefix(rest)
        _ = try? ResponseFrame.decode(frame, answering: request, framing: framing, maxPayload: 255)
    }
    let padded = [0xAA] + wire
    _ = RequestFrame.decode(padded[1...], framing: framing, maxPayload: 0x4000)
    _ = try? ImageHeader.decode(wire)
    return 0
}

// SwiftPM aliases `main` to this; libFuzzer's driver takes over from here.
@_cdecl("FuzzEC618_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    fuzz_entry(argc, argv, fuzz)
}
