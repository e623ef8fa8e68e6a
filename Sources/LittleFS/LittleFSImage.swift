/// A littlefs image to write: files (and directories) given by path, laid out as a freshly
/// written file system of `geometry` — every directory compacted into metadata pairs, files up to
/// `geometry.inlineMax` inline, larger ones as CTZ skip-lists — and returned as the region's bytes.
public struct LittleFSImage: Sendable {
    public let geometry: LittleFSGeometry
    private(set) var root = LittleFSTree.Directory()

    public init(geometry: LittleFSGeometry) throws {
        try geometry.validate()
        self.geometry = geometry
    }

    /// Starts from what an image read back holds, so files can be added to a board's file system
    /// without dropping the ones already there (read-modify-write of a region).
    public init(geometry: LittleFSGeometry, keeping volume: LittleFSVolume) throws {
        try self.init(geometry: geometry)
        for entry in volume.entries {
            if entry.isDirectory {
                try addDirectory(entry.path)
            } else {
                try addFile(entry.path, contents: entry.contents)
            }
        }
    }

    /// Adds a file; missing parent directories are created. A file already at `path` is an error
    /// unless `replacing`.
    public mutating func addFile(_ path: String, contents: [UInt8], replacing: Bool = false) throws {
        let p = try LittleFSPath(path, nameMax: geometry.nameMax)
        guard contents.count <= geometry.fileMax else {
            throw LittleFSError.fileTooLarge(p.text, size: contents.count, max: geometry.fileMax)
        }
        try root.insert(.file(contents), at: p.components[...], path: p.text, replacing: replacing)
    }

    /// Adds an (empty unless files are added under it) directory.
    public mutating func addDirectory(_ path: String) throws {
        let p = try LittleFSPath(path, nameMax: geometry.nameMax)
        try root.insert(.directory(LittleFSTree.Directory()), at: p.components[...], path: p.text, replacing: false)
    }

    /// The whole region, `geometry.regionSize` bytes, unused blocks erased (0xFF).
    public func bytes() throws -> [UInt8] {
        try LittleFSLayout(geometry: geometry, root: root).render()
    }
}

/// The directory tree an image is built from.
enum LittleFSTree {
    enum Node: Sendable {
        case file([UInt8])
        case directory(Directory)
    }

    struct Directory: Sendable {
        var children: [[UInt8]: Node] = [:]

        mutating func insert(_ node: Node, at components: ArraySlice<[UInt8]>, path: String, replacing: Bool) throws {
            guard let name = components.first else { return }
            if components.count == 1 {
                switch (children[name], node) {
                case (nil, _): children[name] = node
                case (.directory?, .directory): return  // already there (made for a file under it)
                case (.file?, .file) where replacing: children[name] = node
                default: throw LittleFSError.duplicatePath(path)
                }
                return
            }
            var sub: Directory
            switch children[name] {
            case nil: sub = Directory()
            case .directory(let d)?: sub = d
            case .file?: throw LittleFSError.badPath(path, reason: "a parent is a file")
            }
            try sub.insert(node, at: components.dropFirst(), path: path, replacing: replacing)
            children[name] = .directory(sub)
        }

        /// Children in littlefs order. The firmware's lookup stops at the first name that sorts
        /// after the one it seeks, so entries must be in its order: bytes compared up to the
        /// shorter length, and when one name is a prefix of the other the LONGER comes first
        /// (littlefs' name comparison returns "less" for a longer name on disk; the reference
        /// lists "abc", "ab", "a", "b").
        var sorted: [(name: [UInt8], node: Node)] {
            children.map { ($0.key, $0.value) }.sorted { littleFSOrder($0.name, $1.name) }
        }
    }
}

/// Whether name `a` comes before `b` in a littlefs directory.
func littleFSOrder(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    for (x, y) in zip(a, b) where x != y { return x < y }
    return a.count > b.count
}
