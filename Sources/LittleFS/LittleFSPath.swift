/// A path inside a littlefs image: "/"-separated names, each a littlefs file name (1…name_max
/// bytes, no NUL, not "." or ".."). A leading "/" is allowed; the root itself has no components.
struct LittleFSPath: Hashable {
    let components: [[UInt8]]

    init(_ text: String, nameMax: Int) throws {
        var parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if parts.first == "" { parts.removeFirst() }
        guard !parts.isEmpty, !parts.contains("") else {
            throw LittleFSError.badPath(text, reason: "empty name (a path is names separated by single \"/\")")
        }
        components = try parts.map { name in
            let bytes = Array(name.utf8)
            guard name != ".", name != ".." else { throw LittleFSError.badPath(text, reason: "\"\(name)\" is not a file name") }
            guard !bytes.contains(0) else { throw LittleFSError.badPath(text, reason: "a name holds a NUL byte") }
            guard bytes.count <= nameMax else {
                throw LittleFSError.badPath(text, reason: "name \"\(name)\" is \(bytes.count) bytes, more than name_max \(nameMax)")
            }
            return bytes
        }
    }

    var text: String { "/" + components.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "/") }
}
