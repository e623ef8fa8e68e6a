// A LuaDB script image (script.bin in a .soc, or read back from a board).
import LuaImage
import FuzzEntry

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? LuaDBReader.parse(bytes, file: "script.bin")
    return 0
}

// SwiftPM aliases `main` to this; libFuzzer's driver takes over from here.
@_cdecl("FuzzLuaDB_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    fuzz_entry(argc, argv, fuzz)
}
