// A precompiled Lua chunk: the layout check the build runs on every .luac, then the full read.
import LuaImage
import FuzzEntry

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard (try? LuaChunkReader.layout(of: bytes, file: "fuzz.luac")) != nil else { return 0 }
    _ = try? LuaChunkReader.read(bytes, file: "fuzz.luac")
    return 0
}

// SwiftPM aliases `main` to this; libFuzzer's driver takes over from here.
@_cdecl("FuzzLuaChunk_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    fuzz_entry(argc, argv, fuzz)
}
