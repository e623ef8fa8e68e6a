import Foundation

/// One JSON line the QA script wrote to `uart.VUART_0` (x.6): `boot`, `attach`, `check`,
/// `report`, `done`. These are the board's account for diagnosis; the verdict trusts them only
/// to classify a failure the server could not see (no attach, a library error code).
public struct QABoardEvent: Sendable, Equatable, Codable {
    public let ev: String
    public let sid: String?
    public let name: String?
    public let code: Int?
    public let ms: Int?
    public let ok: Bool?
    public let hash: String?
    public let pass: Bool?
    /// A check the firmware cannot run (a module it lacks), with the reason in `detail`.
    public let unavailable: Bool?
    public let detail: String?

    /// Parses the JSON lines in `bytes`; lines that are not QA events are skipped.
    public static func parse(_ bytes: [UInt8]) -> [QABoardEvent] {
        bytes.split(separator: 0x0A).compactMap { line in
            try? JSONDecoder().decode(QABoardEvent.self, from: Data(line))
        }
    }
}
