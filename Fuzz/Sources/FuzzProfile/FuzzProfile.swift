// A board profile as Profile.load reads it: UTF-8 text, then Profile(toml:source:).
import Foundation
import Firmware

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let text = String(data: Data(bytes: data, count: size), encoding: .utf8) else { return 0 }
    _ = try? Profile(toml: text, source: "fuzz.toml")
    return 0
}
