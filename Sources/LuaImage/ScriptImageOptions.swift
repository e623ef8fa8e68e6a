/// How a script image is built, from the `.soc`'s `info.json` `script` section and partition.
public struct ScriptImageOptions: Equatable, Sendable {
    /// `script.use-luac`: store bytecode (`name.luac`) instead of source.
    public var useLuac: Bool
    /// `script.use-debug`: keep line info and local names in the bytecode.
    public var useDebug: Bool
    /// Bytecode layout of the target VM (`script.bitw` 32 → `.ec618`).
    public var layout: LuaDumpLayout
    /// Script partition capacity in bytes (`rom.fs.script.size` × 1024); nil skips the check.
    public var capacity: Int?
    /// What the capacity came from (the `.soc` path), named when the image is too large.
    public var capacitySource: String

    public init(useLuac: Bool = true, useDebug: Bool = true, layout: LuaDumpLayout = .ec618,
                capacity: Int? = nil, capacitySource: String = "script partition") {
        self.useLuac = useLuac
        self.useDebug = useDebug
        self.layout = layout
        self.capacity = capacity
        self.capacitySource = capacitySource
    }
}

/// One input file: the path the user named (for messages), the flat name it gets in the
/// LuaDB, and its bytes.
public struct ScriptInput: Equatable, Sendable {
    public let path: String
    public let name: String
    public let bytes: [UInt8]

    public init(path: String, name: String, bytes: [UInt8]) {
        self.path = path
        self.name = name
        self.bytes = bytes
    }
}

/// One file as stored in a built image.
public struct ScriptImageEntry: Equatable, Sendable {
    /// Name under `/luadb/`.
    public let name: String
    /// The input it came from.
    public let path: String
    /// Bytes stored.
    public let size: Int
    /// True when the entry is bytecode compiled from a `.lua` input.
    public let compiled: Bool
}

/// A built script image and what is in it.
public struct ScriptImage: Equatable, Sendable {
    /// The LuaDB bytes (`script.bin`).
    public let bytes: [UInt8]
    public let entries: [ScriptImageEntry]
    /// SHA-256 of `bytes`, lowercase hex.
    public let sha256: String
    /// The partition capacity checked against, if any.
    public let capacity: Int?
}
