/// Bad firmware input: the file it concerns and why it was refused. Shown to users as one line,
/// `FILE: reason`; the CLI maps it to exit code 2 (input error).
public struct FirmwareError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file (or archive member, as `archive.soc:member`) the error is about.
    public let file: String
    public let reason: String

    public init(file: String, reason: String) {
        self.file = file
        self.reason = reason
    }

    public var description: String { "\(file): \(reason)" }
}
