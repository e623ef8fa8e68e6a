/// Why an image cannot be written or read. Each case's text is one line naming the reason.
public enum LittleFSError: Error, Equatable, CustomStringConvertible {
    case badGeometry(String)
    case badPath(String, reason: String)
    case duplicatePath(String)
    case fileTooLarge(String, size: Int, max: Int)
    case imageFull(neededBlocks: Int, blockCount: Int)
    case notLittleFS(String)
    case truncated(String)
    case corrupt(String)
    case unsupported(String)

    public var description: String {
        switch self {
        case .badGeometry(let r): return "bad littlefs geometry: \(r)"
        case .badPath(let p, let r): return "bad littlefs path \"\(p)\": \(r)"
        case .duplicatePath(let p): return "littlefs path \"\(p)\" is given twice"
        case .fileTooLarge(let p, let s, let m): return "littlefs file \"\(p)\" is \(s) bytes, more than file_max \(m)"
        case .imageFull(let n, let c): return "the files need \(n) littlefs blocks but the region has \(c)"
        case .notLittleFS(let r): return "not a littlefs image: \(r)"
        case .truncated(let r): return "truncated littlefs image: \(r)"
        case .corrupt(let r): return "corrupt littlefs image: \(r)"
        case .unsupported(let r): return "unsupported littlefs image: \(r)"
        }
    }
}
