import Firmware

/// A NOR flash chip: erases to 0xFF in whole blocks, and programming can only write bytes that
/// are erased. Writing a byte that is not 0xFF is refused rather than AND-ed, so a flasher that
/// skips an erase or writes a region twice is caught.
public struct NORFlash: Sendable, Equatable {
    public let name: String
    public private(set) var bytes: [UInt8]
    public let eraseBlockSize: Int

    public init(name: String, size: Int, eraseBlockSize: Int = EC618FlashMap.eraseBlockSize, fill: UInt8 = 0xFF) {
        precondition(size % eraseBlockSize == 0, "flash size must be a whole number of erase blocks")
        self.name = name
        self.bytes = [UInt8](repeating: fill, count: size)
        self.eraseBlockSize = eraseBlockSize
    }

    public var size: Int { bytes.count }

    /// Fills the chip with `pattern` repeated, as if an older firmware were on it (tests).
    public mutating func preload(_ pattern: [UInt8]) {
        guard !pattern.isEmpty else { return }
        for i in bytes.indices { bytes[i] = pattern[i % pattern.count] }
    }

    /// The erase blocks `range` touches.
    public func blocks(covering range: Range<Int>) -> Range<Int> {
        guard !range.isEmpty else { return 0..<0 }
        return (range.lowerBound / eraseBlockSize)..<((range.upperBound - 1) / eraseBlockSize + 1)
    }

    /// Erases one block to 0xFF.
    public mutating func erase(block: Int) throws(NORError) {
        guard block >= 0, (block + 1) * eraseBlockSize <= size else { throw .outOfRange(chip: name, offset: block * eraseBlockSize, count: eraseBlockSize) }
        let start = block * eraseBlockSize
        bytes.replaceSubrange(start..<(start + eraseBlockSize), with: repeatElement(0xFF, count: eraseBlockSize))
    }

    /// Programs `data` at `offset`. Every target byte must be erased (0xFF).
    public mutating func program(_ data: [UInt8], at offset: Int) throws(NORError) {
        guard offset >= 0, offset + data.count <= size else { throw .outOfRange(chip: name, offset: offset, count: data.count) }
        if let bad = bytes[offset..<(offset + data.count)].firstIndex(where: { $0 != 0xFF }) {
            throw .notErased(chip: name, offset: bad)
        }
        bytes.replaceSubrange(offset..<(offset + data.count), with: data)
    }

    /// A fault: the cell at `offset` loses its lowest bit (a weak cell after programming).
    public mutating func flipBit(at offset: Int) throws(NORError) {
        guard offset >= 0, offset < size else { throw .outOfRange(chip: name, offset: offset, count: 1) }
        bytes[offset] ^= 0x01
    }

    public func read(_ range: Range<Int>) throws(NORError) -> [UInt8] {
        guard range.lowerBound >= 0, range.upperBound <= size else { throw .outOfRange(chip: name, offset: range.lowerBound, count: range.count) }
        return Array(bytes[range])
    }
}

/// What the flash chip refused.
public enum NORError: Error, Sendable, Equatable, CustomStringConvertible {
    case outOfRange(chip: String, offset: Int, count: Int)
    case notErased(chip: String, offset: Int)

    public var description: String {
        switch self {
        case .outOfRange(let chip, let offset, let count):
            return "\(chip): \(count) bytes at 0x\(String(offset, radix: 16)) run past the chip"
        case .notErased(let chip, let offset):
            return "\(chip): programming unerased byte at 0x\(String(offset, radix: 16))"
        }
    }
}
