@testable import LittleFS
import Testing

/// The bytes `fskv.set` writes for each Lua type (LuatOS `luat_lib_fskv.c`).
struct FSKVValueTests {
    @Test func encodings() throws {
        #expect(try FSKVValue.boolean(true).encoded() == [1, 1])
        #expect(try FSKVValue.boolean(false).encoded() == [1, 0])
        #expect(try FSKVValue.integer(1234).encoded() == [21, 0xD2, 0x04, 0, 0, 0, 0, 0, 0])
        #expect(try FSKVValue.integer(-2).encoded() == [21, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(try FSKVValue.number(1.5).encoded() == [3, 0x3F, 0xC0, 0, 0])  // pack(">f")
        #expect(try FSKVValue.string("ab").encoded() == [4, 0x61, 0x62])
        #expect(try FSKVValue.table("{\"a\":1}").encoded() == [5] + Array("{\"a\":1}".utf8))
    }

    @Test func decodingWhatABoardWrites() throws {
        // A 32-bit (LUA_32BITS) build writes sizeof(lua_Integer) = 4 bytes.
        #expect(try FSKVValue.decode([21, 0xFE, 0xFF, 0xFF, 0xFF]) == .integer(-2))
        for v in [FSKVValue.boolean(true), .integer(-7), .number(-3.25), .string("x y"), .table("[1,2]")] {
            #expect(try FSKVValue.decode(try v.encoded()) == v)
        }
        #expect(throws: FSKVError.self) { try FSKVValue.decode([21, 1, 2]) }
        #expect(throws: FSKVError.self) { try FSKVValue.decode([9, 1]) }
        #expect(throws: FSKVError.self) { try FSKVValue.decode([4]) }
    }

    @Test func writtenFSKVImageReadsBack() throws {
        let values = LittleFSOracleTests.fortyKeys()
        let volume = try LittleFSReader.read(try FSKVImage(values).bytes())
        let decoded = FSKVImage.decode(volume)
        #expect(decoded.map(\.key).sorted() == values.map(\.0).sorted())
        for (key, value) in values {
            #expect(try decoded.first { $0.key == key }?.value.get() == value.roundTripped, "key \(key)")
        }
        let byKey = try FSKVImage.values(in: try FSKVImage(values).bytes())
        #expect(byKey.count == values.count)
        #expect(byKey[values[1].0] == values[1].1)
    }

    @Test func littleFSCRCMatchesTheCheckValue() throws {
        // CRC-32 of "123456789" is 0xCBF43926 with the final inversion littlefs leaves out.
        #expect(LittleFSCRC.update(LittleFSCRC.seed, Array("123456789".utf8)) == ~UInt32(0xCBF4_3926))
    }
}

/// Names in a directory in the order the reference lists them.
struct LittleFSOrderTests {
    @Test func prefixesSortAfterLongerNames() throws {
        var image = try LittleFSImage(geometry: .ec618FSKV)
        for name in ["f1", "f10", "f2", "f11", "a", "ab", "abc", "b"] { try image.addFile(name, contents: [1]) }
        let names = try LittleFSReader.read(try image.bytes()).entries.map(\.path)
        #expect(names == ["/abc", "/ab", "/a", "/b", "/f10", "/f11", "/f1", "/f2"])
    }
}
