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
}
