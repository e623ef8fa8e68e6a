// A `.soc` package as the station opens it (SocPackage.open reads the file, then this init):
// archive, info.json, binpkg, script image and AgentBoot lookup. Any thrown error is fine;
// a trap, overflow or ASan report is a finding.
import Firmware

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? SocPackage(bytes: bytes, path: "fuzz.soc")
    return 0
}
