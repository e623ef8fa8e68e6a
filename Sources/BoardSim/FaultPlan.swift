import Foundation

/// Faults the simulated board injects, parsed from a SPEC string:
///
///     nak-block=N[xK]      NAK the Nth DOWNLOAD_DATA the AgentBoot receives (1-based), K times in a row (default 1)
///     drop-byte=N          lose the host→board byte at stream offset N (0-based, counted from the first byte)
///     corrupt-byte=N       invert the host→board byte at offset N
///     stall-after=N        after N host bytes, stop answering (the board hangs; the link stays open)
///     disconnect-after=N   after N host bytes, drop the link (unplug)
///     burn-status=N        answer the Nth GET_BURN_STATUS (1-based) with a failure code
///     flip-bit=N           the Nth byte programmed into flash (0-based, over the session) loses a
///                          bit after it was written and acknowledged: only a read-back sees it
///
/// Items are comma-separated, e.g. `nak-block=3,corrupt-byte=70000`. Each kind may appear once.
public struct FaultPlan: Sendable, Equatable, CustomStringConvertible {
    public var nakBlock: (index: Int, times: Int)?
    public var dropByte: Int?
    public var corruptByte: Int?
    public var stallAfter: Int?
    public var disconnectAfter: Int?
    public var burnStatusFailure: Int?
    public var flipBit: Int?

    public init() {}

    public static let none = FaultPlan()

    public static func == (a: FaultPlan, b: FaultPlan) -> Bool { a.description == b.description }

    /// Parses a SPEC string (see the type's documentation); throws a one-line reason.
    public init(spec: String) throws(FaultSpecError) {
        self.init()
        var seen = Set<String>()
        for item in spec.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw FaultSpecError(item: item, reason: "expected NAME=VALUE") }
            let (name, value) = (parts[0], parts[1])
            guard seen.insert(name).inserted else { throw FaultSpecError(item: item, reason: "\(name) given twice") }
            func number(_ text: String) throws(FaultSpecError) -> Int {
                guard let n = Int(text), n >= 0 else { throw FaultSpecError(item: item, reason: "'\(text)' is not a non-negative integer") }
                return n
            }
            switch name {
            case "nak-block":
                let pieces = value.split(separator: "x", maxSplits: 1).map(String.init)
                let index = try number(pieces[0])
                let times = pieces.count == 2 ? try number(pieces[1]) : 1
                guard index >= 1, times >= 1 else { throw FaultSpecError(item: item, reason: "block and count start at 1") }
                nakBlock = (index, times)
            case "drop-byte": dropByte = try number(value)
            case "corrupt-byte": corruptByte = try number(value)
            case "stall-after": stallAfter = try number(value)
            case "disconnect-after": disconnectAfter = try number(value)
            case "burn-status":
                let n = try number(value)
                guard n >= 1 else { throw FaultSpecError(item: item, reason: "burn-status counts from 1") }
                burnStatusFailure = n
            case "flip-bit": flipBit = try number(value)
            default:
                throw FaultSpecError(item: item, reason: "unknown fault '\(name)' (nak-block, drop-byte, corrupt-byte, "
                                     + "stall-after, disconnect-after, burn-status, flip-bit)")
            }
        }
    }

    public var description: String {
        var items: [String] = []
        if let n = nakBlock { items.append("nak-block=\(n.index)x\(n.times)") }
        if let n = dropByte { items.append("drop-byte=\(n)") }
        if let n = corruptByte { items.append("corrupt-byte=\(n)") }
        if let n = stallAfter { items.append("stall-after=\(n)") }
        if let n = disconnectAfter { items.append("disconnect-after=\(n)") }
        if let n = burnStatusFailure { items.append("burn-status=\(n)") }
        if let n = flipBit { items.append("flip-bit=\(n)") }
        return items.isEmpty ? "none" : items.joined(separator: ",")
    }
}

/// A fault SPEC the board cannot parse.
public struct FaultSpecError: Error, Sendable, Equatable, CustomStringConvertible {
    public let item: String
    public let reason: String
    public var description: String { "fault spec '\(item)': \(reason)" }
}
