// The binpkg core package alone, then its core images as SocPackage asks for them.
import Firmware
import FuzzEntry

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let binpkg = try? Binpkg(bytes: bytes, file: "fuzz.binpkg") else { return 0 }
    _ = try? binpkg.coreImages(file: "fuzz.binpkg", scriptPartition: nil)
    return 0
}

// SwiftPM aliases `main` to this; libFuzzer's driver takes over from here.
@_cdecl("FuzzBinpkg_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    fuzz_entry(argc, argv, fuzz)
}
