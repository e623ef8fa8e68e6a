// A `.soc` package as the station opens it (SocPackage.open reads the file, then this init):
// archive, info.json, binpkg, script image and AgentBoot lookup. Any thrown error is fine;
// a trap, overflow or ASan report is a finding.
import Firmware
import FuzzEntry

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? SocPackage(bytes: bytes, path: "fuzz.soc")
    return 0
}

// SwiftPM aliases `main` to this; libFuzzer's driver takes over from here.
@_cdecl("FuzzSoc_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    fuzz_entry(argc, argv, fuzz)
}
