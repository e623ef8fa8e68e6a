// A LuaDB script image (script.bin in a .soc, or read back from a board).
import LuaImage

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? LuaDBReader.parse(bytes, file: "script.bin")
    return 0
}
