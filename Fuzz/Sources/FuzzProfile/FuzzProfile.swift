// A board profile as Profile.load reads it: UTF-8 text, then Profile(toml:source:).
import Foundation
import Firmware
import FuzzEntry

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let text = String(data: Data(UnsafeBufferPointer(start: data, count: size)), encoding: .utf8) else { return 0 }
    _ = try? Profile(toml: text, source: "fuzz.toml")
    return 0
}

// SwiftPM aliases `main` to this; libFuzzer's driver takes over from here.
@_cdecl("FuzzProfile_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    fuzz_entry(argc, argv, fuzz)
}
