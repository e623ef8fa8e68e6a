import LuaImage
import Testing

/// Inputs found by the libFuzzer campaign (scripts/fuzz, Fuzz/Sources/FuzzLuaChunk and
/// FuzzLuaDB), minimized. Each once trapped; each must now be a one-line refusal naming the file.
@Suite("Fuzz findings: Lua chunks and LuaDB images")
struct FuzzFindingTests {
    /// A string whose long-form length (0xFF, then a size_t) is 0: the stored size is the
    /// length + 1, so `size - 1` underflowed.
    @Test func longStringLengthOfZeroIsRefused() {
        let chunk = EC618HeaderTests.specHeader + [0x01] + [0xFF, 0x00, 0x00, 0x00, 0x00]
        let error = #expect(throws: LuaImageError.self) { try LuaChunkReader.read(chunk, file: "bad.luac") }
        #expect(error?.file == "bad.luac")
        #expect(error?.reason.contains("source has a long length of 0") == true)
    }
}
