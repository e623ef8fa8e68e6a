// station.toml as StationConfig.load reads it: UTF-8 text, then StationConfig.parse.
import Foundation
import Station
import FuzzEntry

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let text = String(data: Data(UnsafeBufferPointer(start: data, count: size)), encoding: .utf8) else { return 0 }
    _ = try? StationConfig.parse(text, file: "station.toml")
    return 0
}

// SwiftPM aliases `main` to this; libFuzzer's driver takes over from here.
@_cdecl("FuzzStationConfig_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    fuzz_entry(argc, argv, fuzz)
}
