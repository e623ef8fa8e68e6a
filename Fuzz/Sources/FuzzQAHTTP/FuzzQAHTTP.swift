// The QA server's request bodies, fed to its parsers without a server (QARoutes calls the same
// functions on the received bytes). Everything up to the first newline is the Content-Type;
// the rest is the body, read both as a multipart body and as a urlencoded form.
@_spi(Fuzzing) import QA
import FuzzEntry

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let newline = input.firstIndex(of: 0x0A) ?? input.count
    let contentType = String(decoding: input[..<newline], as: UTF8.self)
    let body = Array(input[min(newline + 1, input.count)...])
    if let boundary = QAHTTPParsing.boundary(contentType: contentType) {
        _ = QAHTTPParsing.multipart(body, boundary: boundary)
    }
    _ = QAHTTPParsing.formFields(body)
    return 0
}

// SwiftPM aliases `main` to this; libFuzzer's driver takes over from here.
@_cdecl("FuzzQAHTTP_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    fuzz_entry(argc, argv, fuzz)
}
