/// Why an fskv key or value is refused.
public enum FSKVError: Error, Equatable, CustomStringConvertible {
    case badKey(String, reason: String)
    case duplicateKey(String)
    case badValue(String)
    case valueTooLarge(payload: Int, max: Int)
    case badEncoding(String)
    /// A value refused, with the key it was given for.
    indirect case forKey(String, FSKVError)

    public var description: String {
        switch self {
        case .badKey(let k, let r): return "bad fskv key \"\(k)\": \(r)"
        case .duplicateKey(let k): return "fskv key \"\(k)\" is given twice"
        case .badValue(let r): return "bad fskv value: \(r)"
        case .valueTooLarge(let p, let m): return "fskv value is \(p) bytes, more than \(m)"
        case .badEncoding(let r): return "not an fskv value: \(r)"
        case .forKey(let k, let e): return "fskv key \"\(k)\": \(e)"
        }
    }
}

/// The fskv region's bytes from typed key/value pairs: one file per key in the root of the fskv
/// littlefs (`luat_fskv_set` opens the key itself as the path).
public struct FSKVImage: Sendable {
    public private(set) var values: [(key: String, value: FSKVValue)] = []

    /// `fskv.set` keys: 1…63 bytes (`name_max` 63 of the fskv littlefs), and usable as a littlefs
    /// root file name (no "/", no NUL, not "." or "..").
    public static let maxKeyBytes = 63

    public init() {}

    public init(_ values: [(String, FSKVValue)]) throws {
        for (k, v) in values { try set(k, v) }
    }

    public mutating func set(_ key: String, _ value: FSKVValue) throws {
        try Self.check(key)
        guard !values.contains(where: { $0.key == key }) else { throw FSKVError.duplicateKey(key) }
        do {
            _ = try value.encoded()  // refuse now, at the call that gave the value
        } catch let e as FSKVError {
            throw FSKVError.forKey(key, e)
        }
        values.append((key, value))
    }

    public func bytes(geometry: LittleFSGeometry = .ec618FSKV) throws -> [UInt8] {
        var image = try LittleFSImage(geometry: geometry)
        for (key, value) in values {
            try image.addFile(key, contents: try value.encoded())
        }
        return try image.bytes()
    }

    /// The keys and values of an fskv image (root files; anything else is ignored, as the
    /// firmware's `fskv` ignores it).
    public static func decode(_ volume: LittleFSVolume) -> [(key: String, value: Result<FSKVValue, FSKVError>)] {
        volume.files.filter { $0.path.dropFirst().contains("/") == false }.map { entry in
            let key = String(entry.path.dropFirst())
            return (key, Result { try FSKVValue.decode(entry.contents) }.mapError { $0 as? FSKVError ?? .badEncoding("\($0)") })
        }
    }

    /// Every key of an fskv region's bytes with its value; a value that does not decode is an
    /// error naming its key.
    public static func values(in bytes: [UInt8]) throws -> [String: FSKVValue] {
        var out: [String: FSKVValue] = [:]
        for (key, value) in decode(try LittleFSReader.read(bytes)) {
            do { out[key] = try value.get() } catch { throw FSKVError.forKey(key, error) }
        }
        return out
    }

    /// Throws `FSKVError.badKey` for a key fskv cannot open as a file.
    public static func check(_ key: String) throws {
        let bytes = Array(key.utf8)
        guard !bytes.isEmpty else { throw FSKVError.badKey(key, reason: "empty") }
        guard bytes.count <= maxKeyBytes else {
            throw FSKVError.badKey(key, reason: "\(bytes.count) bytes, more than \(maxKeyBytes)")
        }
        guard !bytes.contains(0), !bytes.contains(UInt8(ascii: "/")), key != ".", key != ".." else {
            throw FSKVError.badKey(key, reason: "not a file name (\"/\", NUL, \".\" and \"..\" are refused)")
        }
    }
}
