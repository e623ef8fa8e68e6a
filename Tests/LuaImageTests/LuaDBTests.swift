import Crypto
import LuaImage
import Testing

@Suite("LuaDB writer and reader")
struct LuaDBTests {
    /// luatos-formats.md §2.7 B: the Luatools form of `main.lua` = `print(1)\n`, 113 bytes.
    static let exampleB = hexBytes("""
        01 04 5A A5 5A A5 02 02 02 00 03 04 18 00 00 00
        04 02 02 00 FE 02 30 03
        01 04 5A A5 5A A5 02 08 6D 61 69 6E 2E 6C 75 61
        03 04 09 00 00 00 FE 02 32 06
        70 72 69 6E 74 28 31 29 0A
        01 04 5A A5 5A A5 02 14
        2E 61 69 72 6D 32 6D 5F 61 6C 6C 5F 63 72 63 23 2E 62 69 6E
        03 04 10 00 00 00 FE 02 5F 0A
        BB 36 2D 65 B7 C3 50 05 F7 33 95 72 99 75 C2 6A
        """)
    /// §2.7 A: the minimal form other tools write (no integrity entry, `FF FF` checksums), 59 bytes.
    static let exampleA = hexBytes("""
        01 04 5A A5 5A A5 02 02 02 00 03 04 12 00 00 00 04 02 01 00 FE 02 FF FF
        01 04 5A A5 5A A5 02 08 6D 61 69 6E 2E 6C 75 61 03 04 09 00 00 00 FE 02 FF FF
        70 72 69 6E 74 28 31 29 0A
        """)
    static let printOne = LuaDBFile(name: "main.lua", bytes: Array("print(1)\n".utf8))

    @Test func writerReproducesTheSpecExampleExactly() throws {
        #expect(Self.exampleB.count == 0x71)
        let image = try LuaDBWriter.write([Self.printOne])
        #expect(image == Self.exampleB)
        let md5 = Insecure.MD5.hash(data: image).map { String(format: "%02x", $0) }.joined()
        #expect(md5 == "c405e0e668ee70ec29af1007188aad20")
    }

    @Test func readerReadsBothSpecForms() throws {
        let b = try LuaDBReader.parse(Self.exampleB)
        #expect(b.files == [Self.printOne] && b.hasDigest && b.version == 2 && b.size == 113)
        let a = try LuaDBReader.parse(Self.exampleA)
        #expect(a.files == [Self.printOne] && !a.hasDigest && a.size == 59)
    }

    static func sampleFiles(count: Int) -> [LuaDBFile] {
        (0..<count).map { i in
            let size = (i * 7919) % 3000
            return LuaDBFile(name: "f\(i)_" + String(repeating: "x", count: i % 20) + ".bin",
                             bytes: (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) })
        } + [LuaDBFile(name: "empty.txt", bytes: []),
             LuaDBFile(name: String(repeating: "n", count: 31), bytes: [0x7E, 0xFF, 0x00]),
             LuaDBFile(name: "ünï.lua", bytes: Array("print('ü')".utf8))]
    }

    @Test(arguments: [1, 10, 200, 1020])
    func readerReadsBackEveryFileTheWriterWrote(count: Int) throws {
        let files = Self.sampleFiles(count: count)
        let image = try LuaDBWriter.write(files)
        let parsed = try LuaDBReader.parse(image)
        #expect(parsed.files == files)
        #expect(parsed.hasDigest)
        // Erased flash after the image does not matter.
        let inFlash = try LuaDBReader.parse(image + [UInt8](repeating: 0xFF, count: 4096))
        #expect(inFlash.files == files && inFlash.size == image.count)
    }

    @Test func everyTruncationIsRefused() throws {
        let image = try LuaDBWriter.write(Self.sampleFiles(count: 3))
        for cut in 0..<image.count {
            #expect(throws: LuaImageError.self, "cut at \(cut)") { try LuaDBReader.parse(Array(image.prefix(cut))) }
        }
    }

    @Test func truncationReasonSaysTruncated() throws {
        let image = try LuaDBWriter.write([Self.printOne])
        do {
            _ = try LuaDBReader.parse(Array(image.prefix(55)), file: "x.soc:script.bin")
            Issue.record("must throw")
        } catch let e as LuaImageError {
            #expect(e.description.hasPrefix("x.soc:script.bin: LuaDB: truncated"))
        }
    }

    @Test func aFlippedDataByteIsCaughtByTheDigest() throws {
        let image = try LuaDBWriter.write(Self.sampleFiles(count: 5))
        for offset in Array(stride(from: 30, to: image.count, by: 97)) + Array((image.count - 60)..<image.count) {
            var bad = image
            bad[offset] ^= 0x01
            // Either a structural error or the MD5 mismatch — never a silent success.
            #expect(throws: LuaImageError.self, "flip at \(offset)") { try LuaDBReader.parse(bad) }
        }
        var corrupted = Self.exampleB
        corrupted[0x32] = UInt8(ascii: "P")  // "Print(1)"
        do {
            _ = try LuaDBReader.parse(corrupted)
            Issue.record("must throw")
        } catch let e as LuaImageError {
            #expect(e.reason.contains("corrupted: MD5"))
        }
    }

    @Test(arguments: [
        (0, UInt8(0x5B), "bad magic"),        // magic value
        (8, UInt8(0x00), "format version is 0"),
        (18, UInt8(0x00), "file count 0"),
        (19, UInt8(0x04), "file count 1026"),
        (1, UInt8(0x05), "magic record has length 5"),
    ] as [(Int, UInt8, String)])
    func headerDefectsAreRefusedWithAReason(offset: Int, value: UInt8, reason: String) throws {
        var bad = Self.exampleB
        bad[offset == 0 ? 2 : offset] = value
        do {
            _ = try LuaDBReader.parse(bad)
            Issue.record("must throw")
        } catch let e as LuaImageError {
            #expect(e.reason.contains(reason), "\(e)")
        }
    }

    @Test func writerRefusesWhatTheFirmwareCannotMount() {
        let long = LuaDBFile(name: String(repeating: "a", count: 32), bytes: [])
        #expect(throws: LuaImageError.self) { try LuaDBWriter.write([long]) }
        #expect(throws: LuaImageError.self) { try LuaDBWriter.write([Self.printOne, Self.printOne]) }
        #expect(throws: LuaImageError.self) { try LuaDBWriter.write([LuaDBFile(name: "a/b.lua", bytes: [])]) }
        #expect(throws: LuaImageError.self) { try LuaDBWriter.write(Self.sampleFiles(count: 1021)) }
        #expect(throws: LuaImageError.self) {
            try LuaDBWriter.write([LuaDBFile(name: ".airm2m_all_crc#.bin", bytes: [])])
        }
    }
}
