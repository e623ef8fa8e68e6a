import Foundation

/// What a running board makes of the bytes arriving on its x.2 port: `AT+ECRST=delay,N`
/// schedules a reset N ms later, and the diag frame `7E 00 02 7E` makes the next boot stay in
/// the ROM's download mode (ec618 §8.4). Pure: bytes in, decisions out.
struct BootEntryListener: Sendable {
    /// A reset the host asked for.
    struct ResetRequest: Sendable, Equatable {
        var delayMs: Int
    }

    /// The diag frame that selects download mode on the next boot.
    static let downloadModeFrame: [UInt8] = [0x7E, 0x00, 0x02, 0x7E]
    static let resetCommand = Array("AT+ECRST".utf8)
    /// Longest AT line kept while waiting for its end.
    private static let maxLine = 256

    private var line: [UInt8] = []
    private var recent: [UInt8] = []
    /// Whether the download-mode frame was seen since the board booted.
    private(set) var downloadModeRequested = false

    /// Feeds bytes; returns a reset request when a complete `AT+ECRST` line arrived.
    mutating func feed(_ bytes: [UInt8]) -> ResetRequest? {
        var request: ResetRequest?
        for byte in bytes {
            recent.append(byte)
            if recent.count > Self.downloadModeFrame.count { recent.removeFirst() }
            if recent == Self.downloadModeFrame { downloadModeRequested = true }
            if byte == 0x0D || byte == 0x0A {
                if let r = Self.resetRequest(in: line) { request = r }
                line.removeAll(keepingCapacity: true)
            } else if line.count < Self.maxLine {
                line.append(byte)
            }
        }
        return request
    }

    /// `AT+ECRST` alone resets at once; `AT+ECRST=delay,N` after N ms.
    static func resetRequest(in line: [UInt8]) -> ResetRequest? {
        guard let start = line.firstRange(of: resetCommand)?.lowerBound else { return nil }
        let text = String(decoding: line[start...], as: UTF8.self)
        guard let comma = text.lastIndex(of: ","), text.contains("delay") else { return ResetRequest(delayMs: 0) }
        return ResetRequest(delayMs: Int(text[text.index(after: comma)...].trimmingCharacters(in: .whitespaces)) ?? 0)
    }
}
