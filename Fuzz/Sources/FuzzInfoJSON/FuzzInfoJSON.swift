// info.json alone: an archive wrapper hides most of it from mutation in FuzzSoc.
import Firmware

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? InfoJSON(bytes: bytes, file: "fuzz.soc:info.json")
    return 0
}
