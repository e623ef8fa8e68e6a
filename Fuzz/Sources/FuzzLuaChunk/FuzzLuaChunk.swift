// A precompiled Lua chunk: the layout check the build runs on every .luac, then the full read.
import LuaImage

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard (try? LuaChunkReader.layout(of: bytes, file: "fuzz.luac")) != nil else { return 0 }
    _ = try? LuaChunkReader.read(bytes, file: "fuzz.luac")
    return 0
}
