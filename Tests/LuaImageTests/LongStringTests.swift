import LuaImage
import Testing

/// Long strings (≥ 254 bytes) carry a `size_t` length after a 0xFF byte; on EC618 it is 4 bytes.
@Suite("Long string lengths at their real width")
struct LongStringTests {
    func sizeField(_ length: Int, width: Int) -> [UInt8] {
        let size = UInt64(length + 1)
        return [0xFF] + (0..<width).map { UInt8(truncatingIfNeeded: size >> (8 * UInt64($0))) }
    }

    @Test(arguments: [254, 255, 300, 65536])
    func longStringConstantIsWrittenWithFourByteSize(length: Int) throws {
        let payload = String(repeating: "x", count: length)
        let dump = try LuaCompiler.compile(Array("return \"\(payload)\"\n".utf8), chunkName: "s.lua", file: "s.lua")
        let marker64 = [0x14] + sizeField(length, width: 8) + Array(payload.utf8.prefix(8))
        #expect(dump.firstRange(of: marker64) != nil, "host form: tag 0x14, 0xFF, 8-byte size")
        let ec = try EC618Bytecode.transcode(dump, file: "s.lua")
        let marker32 = [0x14] + sizeField(length, width: 4) + Array(payload.utf8.prefix(8))
        #expect(ec.firstRange(of: marker32) != nil, "EC618 form: tag 0x14, 0xFF, 4-byte size")
        #expect(ec.firstRange(of: marker64) == nil)
        let (chunk, _) = try LuaChunkReader.read(ec, expecting: .ec618)
        #expect(chunk.main.constants.contains(.string(Array(payload.utf8), long: true)))
    }

    @Test func shortStringBelowTheBoundaryKeepsOneLengthByte() throws {
        let payload = String(repeating: "y", count: 253)
        let dump = try LuaCompiler.compile(Array("return \"\(payload)\"\n".utf8), chunkName: "s.lua", file: "s.lua")
        let ec = try EC618Bytecode.transcode(dump, file: "s.lua")
        #expect(ec.firstRange(of: [0x14, 0xFE] + Array(payload.utf8.prefix(4))) != nil)
    }

    /// A chunk name of 300 bytes makes the `source` field itself a long string.
    @Test func longSourceNameRoundTrips() throws {
        let name = String(repeating: "n", count: 300) + ".lua"
        let dump = try LuaCompiler.compile(Array("print('hi')\n".utf8), chunkName: name, file: name)
        let ec = try EC618Bytecode.transcode(dump, file: name)
        #expect(ec.firstRange(of: sizeField(name.utf8.count + 1, width: 4) + [0x40, 0x6E]) != nil)
        let back = try EC618Bytecode.toHost(ec)
        #expect(back == dump)
        #expect(try LuaHost.output(of: back) == "hi")
    }
}
