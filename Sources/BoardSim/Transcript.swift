/// One unit seen on the simulated board's wire: a sync word, a request, a response, or junk.
public struct TranscriptEntry: Sendable, Equatable, CustomStringConvertible {
    public enum Direction: String, Sendable { case hostToDevice = "H>D", deviceToHost = "D>H" }
    public enum Kind: String, Sendable { case sync, frame, junk }

    public let direction: Direction
    public let kind: Kind
    public let bytes: [UInt8]

    public init(_ direction: Direction, _ kind: Kind, _ bytes: [UInt8]) {
        self.direction = direction
        self.kind = kind
        self.bytes = bytes
    }

    /// `H>D frame 20 00 cd 32 …`: one line per unit, lowercase hex.
    public var description: String {
        let digits: [Character] = Array("0123456789abcdef")
        let hex = bytes.map { String([digits[Int($0 >> 4)], digits[Int($0 & 15)]]) }.joined(separator: " ")
        return "\(direction.rawValue) \(kind.rawValue) \(hex)"
    }

    /// Reads a `description` line back (`provision sim board --record` files); nil for anything else.
    public init?(line: Substring) {
        let words = line.split(separator: " ")
        guard words.count >= 2, let direction = Direction(rawValue: String(words[0])),
              let kind = Kind(rawValue: String(words[1])) else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(words.count - 2)
        for word in words.dropFirst(2) {
            guard word.count == 2, let byte = UInt8(word, radix: 16) else { return nil }
            bytes.append(byte)
        }
        self.init(direction, kind, bytes)
    }
}
