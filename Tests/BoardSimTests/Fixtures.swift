import BoardSim
import EC618
import Firmware
import Links
#if canImport(Glibc)
import Glibc
#endif

/// Synthetic firmware for flashing tests: the lead's generated `.soc`, read back through
/// `SocPackage`, so the plan is the one the CLI would flash.
enum Fixtures {
    static func package(sizes: SyntheticSoc.ImageSizes = .small) throws -> SocPackage {
        var soc = SyntheticSoc()
        soc.sizes = sizes
        return try SocPackage(bytes: soc.make(), path: "synthetic.soc")
    }

    /// Deterministic non-trivial bytes (a small LCG), so misplaced data cannot look right.
    static func bytes(_ count: Int, seed: UInt32) -> [UInt8] {
        var state = seed | 1
        return (0..<count).map { _ in
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(truncatingIfNeeded: state >> 24)
        }
    }

    /// An "older firmware" pattern the board starts with, so erased and untouched regions differ.
    static let oldAPPattern: [UInt8] = [0x5A, 0xA5, 0x00, 0x3C]
    static let oldCPPattern: [UInt8] = [0xC3, 0x11]

    /// Runs `flasher` against `board` over an in-memory link; returns the flash error, if any,
    /// and the board's session outcome.
    static func flash(_ plan: FlashPlan, agentBoot: [UInt8], board: SimulatedBoard,
                      settings: FlasherSettings = .fastTests,
                      onEvent: @escaping @Sendable (FlashEvent) -> Void = { _ in })
        async -> (error: FlashError?, outcome: SimulatedBoard.Outcome)
    {
        let (host, device) = MemoryLink.pair(name: "sim")
        async let outcome = board.serve(on: device)
        let flasher = Flasher(link: host, settings: settings, onEvent: onEvent)
        var failure: FlashError?
        do { try await flasher.flash(plan, agentBoot: agentBoot) } catch { failure = error }
        await host.close()
        return (failure, await outcome)
    }
}

/// Where each image must be in the flash dumps, and what every other byte must be.
enum FlashCheck {
    /// Returns a list of mismatches (empty = correct): each image byte for byte at its place;
    /// other bytes of every erase block an image touched are 0xFF; untouched blocks keep `old`.
    static func mismatches(_ contents: SimulatedBoard.FlashContents, plan: FlashPlan,
                           oldAP: [UInt8], oldCP: [UInt8]) -> [String] {
        var problems: [String] = []
        let size = EC618FlashMap.eraseBlockSize
        let erased = [UInt8](repeating: 0xFF, count: size)
        for (storage, chip, old) in [(FlashStorage.apFlash, contents.ap, oldAP), (.cpFlash, contents.cp, oldCP)] {
            // Both patterns divide the block size, so every untouched block looks the same.
            var oldBlock = [UInt8](repeating: 0xFF, count: size)
            if !old.isEmpty { oldBlock = Array([[UInt8]](repeating: old, count: size / old.count).joined()) }
            let images = plan.images.filter { $0.storage == storage && $0.size > 0 }
            for block in 0..<(chip.count / size) {
                let lo = block * size, hi = lo + size
                let touching = images.filter { Int($0.flashOffset) < hi && Int($0.flashOffset) + $0.size > lo }
                var expected = touching.isEmpty ? oldBlock : erased
                for image in touching {
                    let from = max(lo, Int(image.flashOffset)), to = min(hi, Int(image.flashOffset) + image.size)
                    let src = from - Int(image.flashOffset)
                    expected.replaceSubrange((from - lo)..<(to - lo), with: image.bytes[src..<(src + to - from)])
                }
                let same = expected.withUnsafeBytes { e in chip.withUnsafeBytes { c in
                    memcmp(e.baseAddress!, c.baseAddress! + lo, size) == 0 } }
                if !same {
                    problems.append("\(storage.rawValue): block 0x\(String(lo, radix: 16)) differs")
                }
            }
        }
        return problems
    }
}
