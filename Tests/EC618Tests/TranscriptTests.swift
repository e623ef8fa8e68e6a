import EC618
import Firmware
import Testing

/// The flasher against the annotated synthetic transcript of spec §6.8: a 32-byte stand-in
/// AgentBoot (the device offers 16-byte packets for it) and a 4-byte AP image at 0x24000.
@Suite("Flasher follows the §6.8 transcript")
struct TranscriptTests {
    static let transcript = """
        H>D 00 d3 02 2b
        H>D 00 d3 02 2b
        D>H 00 d3 02 2b
        H>D 20 00 cd 32 00 00 00 00
        D>H 20 00 cd 32 00 0c 00 00 00 02 01 00 00 00 02 26 21 20
        H>D 21 00 cd 32 00 00 00 00
        D>H 21 00 cd 32 00 04 48 4d 49 54
        H>D 22 00 cd 32 00 00 00 00
        D>H 22 00 cd 32 00 00
        H>D 31 00 cd 32 04 00 00 00 10 01 00 00
        D>H 31 00 cd 32 00 04 10 01 00 00
        H>D 32 00 cd 32 10 01 00 00 AGHDR 9e 25 00 00
        D>H 32 01 cd 32 00 00
        H>D 3a 00 cd 32 00 00 00 00
        D>H 3a 00 cd 32 00 00
        H>D 00 d3 02 2b
        H>D 00 d3 02 2b
        D>H 00 d3 02 2b
        H>D 20 00 cd 32 00 00 00 00
        D>H 20 00 cd 32 00 0c 00 00 00 02 01 00 00 00 02 26 21 20
        H>D 21 00 cd 32 00 00 00 00
        D>H 21 00 cd 32 00 04 49 4d 42 4f
        H>D 22 00 cd 32 00 00 00 00
        D>H 22 00 cd 32 00 00
        H>D 31 00 cd 32 04 00 00 00 20 00 00 00
        D>H 31 00 cd 32 00 04 10 00 00 00
        H>D 32 00 cd 32 10 00 00 00 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f b9 01 00 00
        D>H 32 01 cd 32 00 00
        H>D 31 00 cd 32 04 00 00 00 10 00 00 00
        D>H 31 00 cd 32 00 04 10 00 00 00
        H>D 32 01 cd 32 10 00 00 00 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f ba 01 00 00
        D>H 32 02 cd 32 00 00
        H>D 3a 00 cd 32 00 00 00 00
        D>H 3a 00 cd 32 00 00
        H>D cd d3 02 2b
        H>D cd d3 02 2b
        D>H cd d3 02 2b
        H>D 42 00 4c b3 04 00 00 9e 49 42 4b 44 d2 a7 96 21
        D>H 42 00 4c b3 00 00 08 ad 88 e5
        H>D aa d3 02 2b
        H>D aa d3 02 2b
        D>H aa d3 02 2b
        H>D aa d3 02 2b
        H>D aa d3 02 2b
        D>H aa d3 02 2b
        H>D 20 00 cd 32 00 00 00 00 b3 5b c3 ea
        D>H 20 00 cd 32 00 0c 00 00 00 02 01 00 00 00 02 26 21 20 7b 68 6b 7c
        H>D 21 00 cd 32 00 00 00 00 2d 5b 69 26
        D>H 21 00 cd 32 00 04 48 4d 49 54 25 4f 95 03
        H>D 22 00 cd 32 00 00 00 00 ce 5c e6 a8
        D>H 22 00 cd 32 00 00 bb 02 6e 58
        H>D 31 00 cd 32 04 00 00 9e 10 01 00 00 13 e2 4e ac
        D>H 31 00 cd 32 00 04 10 01 00 00 85 fc bf 1e
        H>D 32 00 cd 32 10 01 00 8e APHDR 0b 90 df 8f
        D>H 32 01 cd 32 00 00 90 29 d8 66
        H>D 3a 00 cd 32 00 00 00 00 50 76 b8 07
        D>H 3a 00 cd 32 00 00 4d 82 eb b7
        H>D aa d3 02 2b
        H>D aa d3 02 2b
        D>H aa d3 02 2b
        H>D 31 00 cd 32 04 00 00 9e 04 00 00 00 ec 48 f7 72
        D>H 31 00 cd 32 00 04 04 00 00 00 7a 56 06 c0
        H>D 32 00 cd 32 04 00 00 9e 01 02 03 04 9a 29 73 1d
        D>H 32 01 cd 32 00 00 90 29 d8 66
        H>D 3a 00 cd 32 00 00 00 00 50 76 b8 07
        D>H 3a 00 cd 32 00 00 4d 82 eb b7
        H>D 44 00 4c b3 00 00 00 00 ad ab 08 e7
        D>H 44 00 4c b3 00 04 00 00 00 00 f3 eb f4 ee
        H>D cd d3 02 2b
        H>D cd d3 02 2b
        D>H cd d3 02 2b
        H>D aa 00 4c b3 00 00 00 00 fe 9c 52 71
        D>H aa 00 4c b3 00 08 5a 7a 5a 7a 5a 7a 5a 7a a5 e8 98 9a
        """

    static func units() -> [ScriptedLink.Unit] {
        let agentHeader = hex(ImageHeaderTests.agentBootHeaderHex) + [UInt8](repeating: 0, count: 144)
        let apHeader = hex(ImageHeaderTests.apHeaderHex) + [UInt8](repeating: 0, count: 144)
        return transcript.split(separator: "\n").map { line in
            var tokens = line.split(separator: " ").map(String.init)
            let direction = tokens.removeFirst()
            let bytes = tokens.flatMap { token -> [UInt8] in
                switch token {
                case "AGHDR": return agentHeader
                case "APHDR": return apHeader
                default: return hex(token)
                }
            }
            return direction == "H>D" ? .host(bytes) : .device(bytes)
        }
    }

    @Test func flasherSpeaksTheTranscript() async throws {
        let link = ScriptedLink(Self.units())
        let image = FlashImage(kind: .ap, name: "ap.bin", storage: .apFlash, flashOffset: 0x24000, packageAddress: 0x24000,
                               reservedSize: nil, bytes: [1, 2, 3, 4])
        let plan = FlashPlan(images: [image], scriptPartition: ScriptPartition(flashOffset: 0x2CC000, capacity: 128 * 1024))
        var settings = FlasherSettings.fastTests
        settings.dlbootTrailingByteProbe = .milliseconds(1)
        let flasher = Flasher(link: link, settings: settings)
        do {
            try await flasher.flash(plan, agentBoot: ImageHeaderTests.standInAgentBoot)
        } catch {
            Issue.record("\(error); \(await link.mismatch ?? "")")
        }
        #expect(await link.mismatch == nil)
        #expect(await link.finished)
    }
}
