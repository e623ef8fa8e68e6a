import CLibArchive

/// Writes archives in memory through libarchive: the synthetic `.soc` fixtures, and `.soc` files
/// that embed a script image.
public enum ArchiveWriter {
    /// Compression of 7z members. LZMA2 is what the vendor build uses.
    public enum SevenZipCompression: String, Sendable {
        case lzma2, lzma1, copy
    }

    /// Returns the bytes of an archive holding `members` (at the archive root, in this order).
    /// - Parameter level: compression level 0–9 (lower is faster; fixtures use a low one).
    public static func write(_ members: [ArchiveMember], format: ArchiveFormat,
                             compression: SevenZipCompression = .lzma2, level: Int = 1) throws -> [UInt8] {
        guard let archive = archive_write_new() else {
            throw FirmwareError(file: "(archive writer)", reason: "libarchive could not allocate a writer")
        }
        defer { archive_write_free(archive) }
        func check(_ status: Int32, _ what: String) throws {
            guard status == ARCHIVE_OK else {
                let detail = archive_error_string(archive).map { String(cString: $0) } ?? "unknown error"
                throw FirmwareError(file: "(archive writer)", reason: "\(what): \(detail)")
            }
        }
        switch format {
        case .sevenZip:
            try check(archive_write_set_format_7zip(archive), "7z format")
            try check(archive_write_set_format_option(archive, "7zip", "compression", compression.rawValue),
                      "7z compression")
            if compression != .copy {
                try check(archive_write_set_format_option(archive, "7zip", "compression-level", String(level)),
                          "7z level")
            }
        case .zip:
            try check(archive_write_set_format_zip(archive), "zip format")
        }

        // Upper bound: stored members plus generous per-member overhead.
        let capacity = members.reduce(64 * 1024) { $0 + $1.bytes.count + 1024 }
        var buffer = [UInt8](repeating: 0, count: capacity)
        var used = 0
        try buffer.withUnsafeMutableBytes { out in
            try check(archive_write_open_memory(archive, out.baseAddress, out.count, &used), "open")
            for member in members {
                guard let entry = archive_entry_new() else { continue }
                defer { archive_entry_free(entry) }
                archive_entry_set_pathname(entry, member.name)
                archive_entry_set_filetype(entry, shim_archive_regular_file)
                archive_entry_set_perm(entry, 0o644)
                archive_entry_set_size(entry, la_int64_t(member.bytes.count))
                archive_entry_set_mtime(entry, 0, 0)
                try check(archive_write_header(archive, entry), "header of \(member.name)")
                if !member.bytes.isEmpty {
                    let written = member.bytes.withUnsafeBytes {
                        archive_write_data(archive, $0.baseAddress, $0.count)
                    }
                    guard written == member.bytes.count else {
                        try check(ARCHIVE_FATAL, "data of \(member.name)")
                        return
                    }
                }
            }
            try check(archive_write_close(archive), "close")
        }
        return Array(buffer[0..<used])
    }
}
