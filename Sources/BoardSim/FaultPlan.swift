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

    /// The fault names a SPEC may use: the one list the parser, its error and `description` read.
    public enum Kind: String, Sendable, CaseIterable {
        case nakBlock = "nak-block"
        case dropByte = "drop-byte"
        case corruptByte = "corrupt-byte"
        case stallAfter = "stall-after"
        case disconnectAfter = "disconnect-after"
        case burnStatus = "burn-status"
        case flipBit = "flip-bit"

        /// The known names, for error messages and help.
        public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }

        /// `NAME=VALUE` and what the fault does, for the CLI's help.
        public var usage: (form: String, meaning: String) {
            switch self {
            case .nakBlock: return ("\(rawValue)=N[xK]", "NAK the Nth DOWNLOAD_DATA the AgentBoot receives (1-based), K times in a row")
            case .dropByte: return ("\(rawValue)=N", "lose the host byte at stream offset N (0-based)")
            case .corruptByte: return ("\(rawValue)=N", "invert the host byte at stream offset N")
            case .stallAfter: return ("\(rawValue)=N", "stop answering after N host bytes")
            case .disconnectAfter: return ("\(rawValue)=N", "drop the link after N host bytes")
            case .burnStatus: return ("\(rawValue)=N", "fail the Nth GET_BURN_STATUS")
            case .flipBit: return ("\(rawValue)=N", "the Nth byte programmed into flash (0-based) loses a bit after it was acknowledged")
            }
        }

        /// One line per kind: its form, padded, and its meaning.
        public static var help: String {
            let width = allCases.map(\.usage.form.count).max() ?? 0
            return allCases.map { kind in
                let form = kind.usage.form
                return form + String(repeating: " ", count: width - form.count + 2) + kind.usage.meaning
            }.joined(separator: "\n")
        }
    }

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
            guard let kind = Kind(rawValue: name) else {
                throw FaultSpecError(item: item, reason: "unknown fault '\(name)' (\(Kind.names))")
            }
            switch kind {
            case .nakBlock:
                let pieces = value.split(separator: "x", maxSplits: 1).map(String.init)
                let index = try number(pieces[0])
                let times = pieces.count == 2 ? try number(pieces[1]) : 1
                guard index >= 1, times >= 1 else { throw FaultSpecError(item: item, reason: "block and count start at 1") }
                nakBlock = (index, times)
            case .dropByte: dropByte = try number(value)
            case .corruptByte: corruptByte = try number(value)
            case .stallAfter: stallAfter = try number(value)
            case .disconnectAfter: disconnectAfter = try number(value)
            case .burnStatus:
                let n = try number(value)
                guard n >= 1 else { throw FaultSpecError(item: item, reason: "\(name) counts from 1") }
                burnStatusFailure = n
            case .flipBit: flipBit = try number(value)
            }
        }
    }

    public var description: String {
        var items: [String] = []
        func add(_ kind: Kind, _ value: String?) { if let value { items.append("\(kind.rawValue)=\(value)") } }
        add(.nakBlock, nakBlock.map { "\($0.index)x\($0.times)" })
        add(.dropByte, dropByte.map(String.init))
        add(.corruptByte, corruptByte.map(String.init))
        add(.stallAfter, stallAfter.map(String.init))
        add(.disconnectAfter, disconnectAfter.map(String.init))
        add(.burnStatus, burnStatusFailure.map(String.init))
        add(.flipBit, flipBit.map(String.init))
        return items.isEmpty ? "none" : items.joined(separator: ",")
    }
}

/// A fault SPEC the board cannot parse.
public struct FaultSpecError: Error, Sendable, Equatable, CustomStringConvertible {
    public let item: String
    public let reason: String
    public var description: String { "fault spec '\(item)': \(reason)" }
}
