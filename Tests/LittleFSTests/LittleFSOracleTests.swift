import TestSupport
import LittleFS
import Testing

/// Images written here, read by the reference littlefs; images it writes, read here.
@Suite(.enabled(if: Oracle.available, Oracle.skipReason))
struct LittleFSOracleTests {
    /// 40 keys of every Lua type, a few past the inline limit (CTZ, one block each).
    static func fortyKeys() -> [(String, FSKVValue)] {
        (0..<40).map { i -> (String, FSKVValue) in
            let key = "key_\(i)_" + String(repeating: "k", count: i % 9)
            switch i % 6 {
            case 0: return (key, .string("device-\(i)-" + String(repeating: "x", count: i * 3)))
            case 1: return (key, .integer(Int64(i) * 1_000_003 - 20_000_000))
            case 2: return (key, .number(Double(i) + 0.25))
            case 3: return (key, .boolean(i % 4 == 3))
            case 4: return (key, .table("{\"id\":\(i),\"tags\":[\"a\",\"b\"]}"))
            default: return (key, .string(pattern(i < 20 ? 300 + i : 1200 + i, seed: i)))  // CTZ files
            }
        }
    }

    @Test func fskvImageOfFortyKeysIsReadByTheReference() throws {
        let values = Self.fortyKeys()
        let image = try FSKVImage(values).bytes()
        #expect(image.count == 64 * 1024)
        #expect(try LittleFSReader.read(image).superblock.versionText == "2.1")
        let dump = try Oracle.dump(image, geometry: .ec618FSKV)
        #expect(dump.dirs.isEmpty)
        #expect(dump.files.count == values.count)
        for (key, value) in values {
            let encoded = try value.encoded()
            #expect(dump.files["/" + key] == encoded, "key \(key)")
        }
        #expect(dump.probe == "ok")
        // The board's next fskv.set appends to the root block rather than erasing it first.
        let appended = dump.appended
        #expect(appended)
    }

    @Test func mainImageAroundTheInlineLimitWithDirectoriesAndMultiBlockFiles() throws {
        let g = LittleFSGeometry.ec618Main
        let limit = g.inlineMax
        var files: [(String, [UInt8])] = [
            ("/empty", []), ("/one", [7]),
            ("/inline-max", pattern(limit, seed: 1)), ("/inline-max-minus-1", pattern(limit - 1, seed: 2)),
            ("/ctz-min", pattern(limit + 1, seed: 3)),
            ("/one-block", pattern(g.blockSize, seed: 4)),
            // Exactly two blocks: block 1 holds one pointer.
            ("/two-blocks-exact", pattern(2 * g.blockSize - 4, seed: 5)),
            ("/certs/device.pem", pattern(1800, seed: 6)),
            ("/certs/keys/device.key", pattern(250, seed: 7)),
            ("/big.bin", pattern(9 * g.blockSize + 123, seed: 8)),  // 10 blocks, pointers up to 2^3
        ]
        // Enough small files in one directory to span several metadata pairs.
        for i in 0..<60 { files.append(("/many/f\(i)", pattern(90 + i, seed: 100 + i))) }
        var image = try LittleFSImage(geometry: g)
        for (path, data) in files { try image.addFile(path, contents: data) }
        try image.addDirectory("/logs")
        let bytes = try image.bytes()
        // Read (and written to) by an older (2.0) driver and by a current (2.1) one.
        for driver in Self.mainVersions {
            let dump = try Oracle.dump(bytes, geometry: g, driverVersion: driver)
            #expect(Set(dump.dirs) == ["/certs", "/certs/keys", "/many", "/logs"])
            #expect(dump.files.count == files.count)
            for (path, data) in files { #expect(dump.files[path] == data, "file \(path), driver \(driver)") }
            #expect(dump.probe == "ok")
        }
        // And our own reader agrees.
        let volume = try LittleFSReader.read(bytes)
        #expect(volume.superblock.versionText == "2.0")
        for (path, data) in files { #expect(volume.file(path) == data, "file \(path)") }
        #expect(volume.entries.filter(\.isDirectory).count == 4)
    }

    /// The main geometry as written (2.0) and as a 2.6+ driver writes it (2.1, forward CRCs).
    static let mainVersions: [UInt32] = [LittleFSFormat.diskVersion2_0, LittleFSFormat.diskVersion]

    @Test(arguments: mainVersions)
    func referenceImagesAreReadHere(diskVersion: UInt32) throws {
        var g = LittleFSGeometry.ec618Main
        g.diskVersion = diskVersion
        let files: [(String, [UInt8])] = [
            ("/a.txt", Array("hello".utf8)), ("/sub/b.bin", pattern(256, seed: 1)),
            ("/sub/c.bin", pattern(257, seed: 2)), ("/sub/deeper/d.bin", pattern(5 * g.blockSize + 7, seed: 3)),
            ("/gone.txt", Array("removed".utf8)), ("/z.bin", pattern(3000, seed: 4)),
        ]
        let image = try Oracle.make(geometry: g, dirs: ["/sub/deeper", "/emptydir"], files: files, remove: ["/gone.txt"])
        let volume = try LittleFSReader.read(image)
        #expect(volume.superblock.blockSize == g.blockSize && volume.superblock.blockCount == g.blockCount)
        #expect(volume.superblock.version == diskVersion)
        for (path, data) in files where path != "/gone.txt" { #expect(volume.file(path) == data, "file \(path)") }
        #expect(volume.file("/gone.txt") == nil)
        #expect(Set(volume.entries.filter(\.isDirectory).map(\.path)) == ["/sub", "/sub/deeper", "/emptydir"])
        #expect(volume.files.count == files.count - 1)
    }

    @Test func referenceFSKVImageDecodesToItsValues() throws {
        let values = Self.fortyKeys()
        let image = try Oracle.make(geometry: .ec618FSKV, files: try values.map { ($0.0, try $0.1.encoded()) })
        let decoded = FSKVImage.decode(try LittleFSReader.read(image))
        #expect(decoded.count == values.count)
        for (key, value) in values {
            let found = decoded.first { $0.key == key }?.value
            #expect(try found?.get() == value.roundTripped, "key \(key)")
        }
    }
}

extension FSKVValue {
    /// What reading the value back gives: numbers pass through float32.
    var roundTripped: FSKVValue {
        if case .number(let v) = self { return .number(Double(Float(v))) }
        return self
    }
}

/// Adding files to a file system the board already has keeps what was there.
@Suite(.enabled(if: Oracle.available, Oracle.skipReason))
struct LittleFSReadModifyWriteTests {
    @Test func filesAreAddedNextToTheBoardsOwn() throws {
        let g = LittleFSGeometry.ec618Main
        // What the platform keeps in the main region (names from the SDK's lfs_port.c).
        let board: [(String, [UInt8])] = [("/plat_config", pattern(700, seed: 1)), ("/cemmconfig.nvm", pattern(90, seed: 2)),
                                          ("/dcxoFTBuff.nvm", pattern(5000, seed: 3))]
        let read = try LittleFSReader.read(try Oracle.make(geometry: g, files: board))
        var image = try LittleFSImage(geometry: g, keeping: read)
        try image.addFile("/certs/device.pem", contents: pattern(1500, seed: 4))
        try image.addFile("/plat_config", contents: pattern(10, seed: 5), replacing: true)
        #expect(throws: LittleFSError.duplicatePath("/cemmconfig.nvm")) { try image.addFile("/cemmconfig.nvm", contents: []) }
        let dump = try Oracle.dump(try image.bytes(), geometry: g)
        #expect(dump.files["/cemmconfig.nvm"] == board[1].1)
        #expect(dump.files["/dcxoFTBuff.nvm"] == board[2].1)
        #expect(dump.files["/plat_config"] == pattern(10, seed: 5))
        #expect(dump.files["/certs/device.pem"] == pattern(1500, seed: 4))
        #expect(dump.probe == "ok")
    }
}
