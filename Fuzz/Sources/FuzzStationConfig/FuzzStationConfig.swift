// station.toml as StationConfig.load reads it: UTF-8 text, then StationConfig.parse.
import Foundation
import Station

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let text = String(data: Data(bytes: data, count: size), encoding: .utf8) else { return 0 }
    _ = try? StationConfig.parse(text, file: "station.toml")
    return 0
}
