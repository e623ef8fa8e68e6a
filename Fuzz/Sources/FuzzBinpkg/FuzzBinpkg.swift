// The binpkg core package alone, then its core images as SocPackage asks for them.
import Firmware

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let binpkg = try? Binpkg(bytes: bytes, file: "fuzz.binpkg") else { return 0 }
    _ = try? binpkg.coreImages(file: "fuzz.binpkg", scriptPartition: nil)
    return 0
}
