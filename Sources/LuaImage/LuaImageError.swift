/// Why a script could not be turned into an image: the file it concerns, the line when one is
/// known (syntax errors, constants the EC618 cannot hold), and the reason.
///
/// Shown to users as one line, `file:line: reason` or `file: reason`; the CLI maps it to exit
/// code 2 (input error).
public struct LuaImageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input file (as the user named it) or image the error is about.
    public let file: String
    /// 1-based source line, when the error points at one.
    public let line: Int?
    public let reason: String

    public init(file: String, line: Int? = nil, reason: String) {
        self.file = file
        self.line = line
        self.reason = reason
    }

    public var description: String {
        if let line { return "\(file):\(line): \(reason)" }
        return "\(file): \(reason)"
    }
}
