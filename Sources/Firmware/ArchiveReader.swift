import CLibArchive

/// The container formats a `.soc` comes in, told apart by magic bytes, never by the extension.
public enum ArchiveFormat: String, Sendable, Equatable, Codable {
    case sevenZip = "7z"
    case zip

    /// `37 7A BC AF 27 1C`: 7-Zip (EC618 and most chips).
    static let sevenZipMagic: [UInt8] = [0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C]
    /// `50 4B 03 04`: ZIP (newer chips; accepted for EC618 too).
    static let zipMagic: [UInt8] = [0x50, 0x4B, 0x03, 0x04]

    /// The format `bytes` start with, or nil.
    public static func detect(_ bytes: [UInt8]) -> ArchiveFormat? {
        if bytes.starts(with: sevenZipMagic) { return .sevenZip }
        if bytes.starts(with: zipMagic) { return .zip }
        return nil
    }
}

/// One member of an archive, read fully into memory.
public struct ArchiveMember: Sendable, Equatable {
    public let name: String
    public let bytes: [UInt8]

    public init(name: String, bytes: [UInt8]) {
        self.name = name
        self.bytes = bytes
    }
}

/// Reads archive members into memory through libarchive: no temporary files, no external tools.
///
/// Only the members a caller wants are unpacked into memory; the rest are skipped (libarchive
/// may still decompress a solid 7z block internally, but nothing of it is kept), and listed with
/// the size their header declares. A header's size is a claim from the file, never trusted for
/// an allocation: each kept member is read in chunks and refused once it passes
/// `memberSizeLimit`.
public enum ArchiveReader {
    /// Largest unpacked size of one kept member. The biggest thing a `.soc` holds for the plan is
    /// an image for the EC618's 4 MiB AP flash; four times that leaves room for any real package
    /// while a crafted header or a zip bomb cannot make the reader hold gigabytes.
    public static let memberSizeLimit = 16 * 1024 * 1024

    /// The listing and the wanted members of an archive.
    public struct Contents: Sendable {
        public let format: ArchiveFormat
        /// Every regular-file member with its uncompressed size, in archive order. Members that were
        /// not wanted carry the size their header declares (they are never unpacked).
        public let listing: [(name: String, size: Int)]
        /// The members `want` selected, with their bytes.
        public let members: [ArchiveMember]
        /// Bytes unpacked through libarchive into memory (the wanted members only).
        public let unpackedBytes: Int
    }

    /// Reads `bytes` (the whole archive). `file` names it in errors.
    /// - Parameter want: which members to keep (by their path inside the archive).
    public static func read(_ bytes: [UInt8], file: String,
                            want: (String) -> Bool) throws -> Contents {
        guard let format = ArchiveFormat.detect(bytes) else {
            let head = bytes.prefix(6).map { String($0, radix: 16, uppercase: true) }.joined(separator: " ")
            throw FirmwareError(file: file, reason: bytes.isEmpty
                ? "empty file, not a .soc archive"
                : "not a 7z or zip archive (starts with \(head))")
        }
        guard let archive = archive_read_new() else {
            throw FirmwareError(file: file, reason: "libarchive could not allocate a reader")
        }
        defer { archive_read_free(archive) }
        switch format {
        case .sevenZip: archive_read_support_format_7zip(archive)
        case .zip: archive_read_support_format_zip(archive)
        }
        archive_read_support_filter_all(archive)

        func failure(_ what: String) -> FirmwareError {
            let detail = archive_error_string(archive).map { String(cString: $0) } ?? "unknown error"
            return FirmwareError(file: file, reason: "\(what): \(detail)")
        }
        func oversize(_ name: String, _ size: String) -> FirmwareError {
            FirmwareError(file: "\(file):\(name)", reason:
                "\(size) unpacked, over the \(memberSizeLimit / (1024 * 1024)) MiB limit for one member")
        }

        return try bytes.withUnsafeBytes { raw -> Contents in
            guard archive_read_open_memory(archive, raw.baseAddress, raw.count) == ARCHIVE_OK else {
                throw failure("damaged \(format.rawValue) archive")
            }
            var listing: [(name: String, size: Int)] = []
            var members: [ArchiveMember] = []
            var unpacked = 0
            var entry: OpaquePointer?
            while true {
                let status = archive_read_next_header(archive, &entry)
                if status == ARCHIVE_EOF { break }
                guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
                    throw failure("truncated or damaged archive")
                }
                guard archive_entry_filetype(entry) == shim_archive_regular_file else { continue }
                let name = archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
                let claimed: Int? = archive_entry_size_is_set(entry) != 0 ? Int(archive_entry_size(entry)) : nil
                if let claimed, claimed < 0 {
                    throw failure("truncated or damaged archive (member \(name) has a negative size)")
                }
                guard want(name) else {
                    // Not needed: skipped, so a huge member the plan does not use costs no memory.
                    guard archive_read_data_skip(archive) == ARCHIVE_OK else {
                        throw failure("truncated or damaged archive (member \(name))")
                    }
                    listing.append((name, claimed ?? 0))
                    continue
                }
                if let claimed, claimed > memberSizeLimit { throw oversize(name, "claims \(claimed) bytes") }
                let data = try readData(archive, expected: claimed,
                                        failure: { failure("truncated or damaged archive (member \(name))") },
                                        oversize: { oversize(name, "holds more than \(memberSizeLimit) bytes") })
                unpacked += data.count
                listing.append((name, data.count))
                members.append(ArchiveMember(name: name, bytes: data))
            }
            return Contents(format: format, listing: listing, members: members, unpackedBytes: unpacked)
        }
    }

    /// Reads the current member in chunks, stopping as soon as it passes `memberSizeLimit`.
    /// `expected` (the header's claim) is only compared at the end, never reserved up front.
    private static func readData(_ archive: OpaquePointer, expected: Int?,
                                 failure: () -> FirmwareError, oversize: () -> FirmwareError) throws -> [UInt8] {
        var out = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { archive_read_data(archive, $0.baseAddress, $0.count) }
            if n == 0 { break }
            guard n > 0 else { throw failure() }
            guard n <= memberSizeLimit - out.count else { throw oversize() }
            out.append(contentsOf: chunk[0..<n])
        }
        if let expected, expected > 0, out.count != expected { throw failure() }
        return out
    }
}
