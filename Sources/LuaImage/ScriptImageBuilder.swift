import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Turns the user's script files into the LuaDB image the firmware mounts at `/luadb/`, or
/// refuses with one reason before any board is touched.
///
/// Folders are flattened like Luatools does (every file keeps only its last path component;
/// hidden files and folders are skipped; symbolic links, names that are not UTF-8 and special
/// files inside a folder are refused, never skipped). `.lua` files are always compiled, so a syntax error is
/// caught even when sources are stored; with `use-luac` they are stored as `name.luac` bytecode in
/// the target layout. Other files are stored verbatim; a `.luac` input must already be in the
/// target layout. `main` goes first (the firmware starts `/luadb/main.luac` or `main.lua`).
public enum ScriptImageBuilder {
    /// Reads `paths` (files and folders) and builds the image.
    public static func build(paths: [String], options: ScriptImageOptions) throws -> ScriptImage {
        try build(inputs: try collect(paths), options: options)
    }

    /// Builds the image from inputs already in memory.
    public static func build(inputs: [ScriptInput], options: ScriptImageOptions) throws -> ScriptImage {
        try assemble(inputs, options: options) { try convert($0, options: options) }
    }

    /// Plans the stored names of `inputs`, takes each one's stored bytes from `stored`, and
    /// writes the LuaDB, checked against the partition.
    static func assemble(_ inputs: [ScriptInput], options: ScriptImageOptions,
                         stored: (ScriptInput) throws -> ([UInt8], Bool)) throws -> ScriptImage {
        let planned = try plan(inputs, options: options)
        var files: [LuaDBFile] = []
        var entries: [ScriptImageEntry] = []
        for (input, storedName) in planned {
            let (bytes, compiled) = try stored(input)
            files.append(LuaDBFile(name: storedName, bytes: bytes))
            entries.append(ScriptImageEntry(name: storedName, path: input.path, size: bytes.count, compiled: compiled))
        }
        let image = try LuaDBWriter.write(files)
        if let capacity = options.capacity, image.count > capacity {
            throw LuaImageError(file: options.capacitySource, reason: "script image is \(image.count) bytes, "
                + "\(image.count - capacity) bytes over the \(capacity)-byte script partition")
        }
        return ScriptImage(bytes: image, entries: entries, sha256: SHA256Hex.of(image), capacity: options.capacity)
    }

    /// The regular files under `paths`, flattened, in a stable order (as given; folder contents
    /// sorted by path).
    public static func collect(_ paths: [String]) throws -> [ScriptInput] {
        let fm = FileManager.default
        var inputs: [ScriptInput] = []
        for path in paths {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDir) else {
                throw LuaImageError(file: path, reason: "no such file or folder")
            }
            if isDir.boolValue {
                let folder = path.hasSuffix("/") ? String(path.dropLast()) : path
                for file in try regularFiles(in: folder).sorted() { inputs.append(try read(file)) }
            } else {
                inputs.append(try read(path))
            }
        }
        return inputs
    }

    /// The regular files under `folder`, hidden entries skipped. An entry that would have to be
    /// skipped silently otherwise is refused, naming it: a symbolic link (it may point outside
    /// the folder, or at the same file twice; name its target instead), a name that is not
    /// UTF-8 (the image stores UTF-8 names), a device, FIFO or socket. `readdir`, not
    /// FileManager, because FileManager's walker drops names it cannot decode without a word.
    private static func regularFiles(in folder: String) throws -> [String] {
        guard let dir = opendir(folder) else {
            throw LuaImageError(file: folder, reason: "cannot list the folder: \(String(cString: strerror(errno)))")
        }
        defer { closedir(dir) }
        var found: [String] = []
        while let entry = readdir(dir) {
            let raw = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            // Hidden files and folders are skipped by design; this also skips `.` and `..`.
            if raw.first == UInt8(ascii: ".") { continue }
            guard let name = String(validating: raw, as: UTF8.self) else {
                throw LuaImageError(file: folder + "/" + String(decoding: raw, as: UTF8.self),
                                    reason: "file name is not UTF-8; rename it")
            }
            let path = folder + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0 else {
                throw LuaImageError(file: path, reason: "cannot read: \(String(cString: strerror(errno)))")
            }
            switch info.st_mode & S_IFMT {
            case S_IFREG: found.append(path)
            case S_IFDIR: found += try regularFiles(in: path)
            case S_IFLNK:
                throw LuaImageError(file: path, reason: "is a symbolic link; name the file it points to instead")
            default: throw LuaImageError(file: path, reason: "is not a regular file or folder")
            }
        }
        return found
    }

    private static func read(_ path: String) throws -> ScriptInput {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LuaImageError(file: path, reason: "cannot read the file")
        }
        return ScriptInput(path: path, name: String(path.split(separator: "/").last ?? Substring(path)),
                           bytes: [UInt8](data))
    }

    /// Stored names, checked before any compiling: length, duplicates, count, a `main`.
    static func plan(_ inputs: [ScriptInput], options: ScriptImageOptions) throws
        -> [(ScriptInput, String)] {
        guard !inputs.isEmpty else { throw LuaImageError(file: "script", reason: "no input files") }
        guard inputs.count < LuaDB.maxEntries else {
            throw LuaImageError(file: inputs[LuaDB.maxEntries - 1].path, reason: "\(inputs.count) files; "
                + "a LuaDB holds at most \(LuaDB.maxEntries - 1) (plus its integrity entry)")
        }
        var byName: [String: String] = [:]
        var planned: [(ScriptInput, String)] = []
        for input in inputs {
            let stored = isLuaSource(input.name) && options.useLuac ? input.name + "c" : input.name
            let n = stored.utf8.count
            guard n <= LuaDB.maxNameBytes else {
                throw LuaImageError(file: input.path, reason: "stored as '\(stored)', \(n) bytes; the firmware "
                    + "reads names of at most \(LuaDB.maxNameBytes) bytes")
            }
            guard stored != LuaDB.digestFileName else {
                throw LuaImageError(file: input.path, reason: "name is reserved for the image's integrity entry")
            }
            if let other = byName[stored] {
                throw LuaImageError(file: input.path, reason: "would be stored as '\(stored)', like \(other); "
                    + "LuaDB names are flat, so file names must be unique across folders")
            }
            byName[stored] = input.path
            planned.append((input, stored))
        }
        guard let main = planned.firstIndex(where: { ["main.lua", "main.luac"].contains($0.1) }) else {
            throw LuaImageError(file: inputs[0].path, reason: "no main.lua among the inputs; "
                + "the firmware starts /luadb/main.luac or main.lua")
        }
        planned.insert(planned.remove(at: main), at: 0)
        return planned
    }

    static func isLuaSource(_ name: String) -> Bool { name.hasSuffix(".lua") }

    static func convert(_ input: ScriptInput, options: ScriptImageOptions) throws -> ([UInt8], Bool) {
        if isLuaSource(input.name) {
            guard options.useLuac else {
                // Stored as source, compiled on the device by its own 32-bit Lua: a syntax check suffices.
                _ = try LuaCompiler.compile(input.bytes, chunkName: input.name, file: input.path)
                return (input.bytes, false)
            }
            let bytes = try EC618Bytecode.compile(input.bytes, chunkName: input.name, file: input.path,
                                                  strip: !options.useDebug, to: options.layout)
            return (bytes, true)
        }
        if input.name.hasSuffix(".luac") {
            let layout = try LuaChunkReader.layout(of: input.bytes, file: input.path)
            guard layout == options.layout else {
                throw LuaImageError(file: input.path, reason: "precompiled for \(layout), but the firmware "
                    + "loads \(options.layout); give the .lua source instead")
            }
        }
        return (input.bytes, false)
    }
}

/// SHA-256 as lowercase hex (LuaImage does not import Firmware, which has its own).
enum SHA256Hex {
    static func of(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }
}
