/// The Eigencomm `luatos.binpkg`: a header, then entries of [364-byte descriptor][image bytes]
/// (spec: ec618-download-protocol.md §6.3, luatos-formats.md §1.7.3).
public struct Binpkg: Sendable, Equatable {
    /// Size of the fixed file header.
    public static let headerSize = 0x34
    /// Size of one entry descriptor.
    public static let entrySize = 364
    /// Offset of the first variant record's name: "pkgmode" there marks a new-style package.
    static let pkgmodeNameOffset = 0x38
    static let pkgmodeMarker = Array("pkgmode".utf8)
    /// Where entries start in pkgmode packages whose header carries no usable `vtsize`.
    static let pkgmodeEntriesStart = 0x1D8
    /// Where the product name string sits in pkgmode packages.
    static let productNameOffset = 0x190

    /// One entry: descriptor fields plus its verified bytes.
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let address: UInt32
        public let reservedSize: UInt32
        /// The type string: `BL`, `AP`, `CP`, or others (`VIRTUALIMG`, `PKGFLXFS`, …) that are not flashed.
        public let type: String
        /// Declared SHA-256, lowercase hex (verified against `bytes` while parsing).
        public let sha256: String
        /// Offset of the descriptor inside the package, for error messages.
        public let descriptorOffset: Int
        public let bytes: [UInt8]

        /// The image kind for flashable types.
        public var kind: ImageKind? {
            switch type.uppercased() {
            case "BL": return .bootloader
            case "AP": return .ap
            case "CP": return .cp
            default: return nil
            }
        }
    }

    /// Whether the package carries the newer "pkgmode" variant records.
    public let isPkgmode: Bool
    /// The product name of a pkgmode package (e.g. `EC618_4M`).
    public let productName: String?
    /// The image count the header declares (informative; vendor tools count differently).
    public let declaredImageCount: Int
    public let entries: [Entry]

    /// Parses and verifies `bytes`. `file` names the package in errors.
    public init(bytes: [UInt8], file: String) throws {
        func refuse(_ reason: String) -> FirmwareError { FirmwareError(file: file, reason: reason) }
        guard bytes.count >= Self.headerSize else {
            throw refuse("truncated: \(bytes.count) bytes, shorter than the \(Self.headerSize)-byte header")
        }
        declaredImageCount = Int(bytes.u32(at: 16))
        let vt = Int(bytes.u16(at: 28))
        let vtSize = Int(bytes.u16(at: 30))
        let hasMarker = bytes.count >= Self.pkgmodeNameOffset + 7
            && Array(bytes[Self.pkgmodeNameOffset..<Self.pkgmodeNameOffset + 7]) == Self.pkgmodeMarker
        isPkgmode = hasMarker
        var offset: Int
        if vt > 0 && vtSize > 0 {
            offset = Self.headerSize + vtSize
        } else {
            offset = hasMarker ? Self.pkgmodeEntriesStart : Self.headerSize
        }
        guard offset <= bytes.count else {
            throw refuse("truncated: header records end at \(offset), file has \(bytes.count) bytes")
        }
        productName = hasMarker && bytes.count > Self.productNameOffset
            ? bytes.cString(at: Self.productNameOffset, maxLength: 64) : nil

        var entries: [Entry] = []
        while offset < bytes.count {
            guard offset + Self.entrySize <= bytes.count else {
                throw refuse("truncated: entry descriptor at offset \(offset) needs \(Self.entrySize) bytes, "
                             + "\(bytes.count - offset) left")
            }
            let name = bytes.cString(at: offset, maxLength: 64)
            let address = bytes.u32(at: offset + 64)
            let reserved = bytes.u32(at: offset + 68)
            let size = Int(bytes.u32(at: offset + 76))
            let declaredHash = bytes.cString(at: offset + 80, maxLength: 256).lowercased()
            let type = bytes.cString(at: offset + 336, maxLength: 16)
            let entryVtSize = Int(bytes.u16(at: offset + 354))
            let start = offset + Self.entrySize + entryVtSize
            let label = "entry \"\(name)\" (\(type.isEmpty ? "no type" : type)) at offset \(offset)"
            guard start + size <= bytes.count else {
                throw refuse("truncated: \(label) declares \(size) bytes, only \(max(0, bytes.count - start)) left")
            }
            let image = Array(bytes[start..<start + size])
            if size > 0 {
                let actual = SHA256Hex.of(image)
                guard declaredHash == actual else {
                    throw refuse("hash mismatch in \(label): declared \(declaredHash.isEmpty ? "none" : declaredHash), "
                                 + "bytes hash to \(actual)")
                }
            }
            entries.append(Entry(name: name, address: address, reservedSize: reserved, type: type,
                                 sha256: declaredHash, descriptorOffset: offset, bytes: image))
            offset = start + size
        }
        self.entries = entries
    }

    /// The flashable images (BL, AP, CP) placed in flash, checked for presence, duplicates,
    /// range and overlap. `scriptPartition`, when given, must not be overlapped by the AP image.
    public func coreImages(file: String, scriptPartition: ScriptPartition?) throws -> [FlashImage] {
        func refuse(_ reason: String) -> FirmwareError { FirmwareError(file: file, reason: reason) }
        var byKind: [ImageKind: FlashImage] = [:]
        for entry in entries {
            guard let kind = entry.kind, !entry.bytes.isEmpty else { continue }
            guard byKind[kind] == nil else { throw refuse("two \(kind.rawValue) images in the package") }
            let (storage, flashOffset) = EC618FlashMap.placement(ofPackageAddress: entry.address, kind: kind)
            let end = Int(flashOffset) + entry.bytes.count
            guard end <= EC618FlashMap.size(of: storage) else {
                throw refuse(String(format: "%@ image \"%@\" at 0x%X + %d bytes runs past the end of the %@ (%d bytes)",
                                    kind.rawValue, entry.name, flashOffset, entry.bytes.count,
                                    storage.rawValue, EC618FlashMap.size(of: storage)))
            }
            if entry.reservedSize > 0 && entry.bytes.count > Int(entry.reservedSize) {
                throw refuse("\(kind.rawValue) image \"\(entry.name)\" is \(entry.bytes.count) bytes, larger than "
                             + "its reserved \(entry.reservedSize) bytes")
            }
            byKind[kind] = FlashImage(kind: kind, name: entry.name, storage: storage, flashOffset: flashOffset,
                                      packageAddress: entry.address,
                                      reservedSize: entry.reservedSize > 0 ? entry.reservedSize : nil,
                                      bytes: entry.bytes)
        }
        for kind in [ImageKind.bootloader, .ap, .cp] where byKind[kind] == nil {
            throw refuse("no \(kind.rawValue) image in the package")
        }
        let images = [ImageKind.bootloader, .ap, .cp].compactMap { byKind[$0] }
        try Self.checkNoOverlap(images, scriptPartition: scriptPartition, file: file)
        return images
    }

    static func checkNoOverlap(_ images: [FlashImage], scriptPartition: ScriptPartition?, file: String) throws {
        var regions = images.map { ($0.kind.rawValue, $0.storage, Int($0.flashOffset), Int($0.flashOffset) + $0.size) }
        if let p = scriptPartition {
            regions.append(("script partition", .apFlash, Int(p.flashOffset), Int(p.flashOffset) + p.capacity))
        }
        for i in regions.indices {
            for j in regions.indices where j > i {
                let a = regions[i], b = regions[j]
                if a.1 == b.1 && a.2 < b.3 && b.2 < a.3 {
                    throw FirmwareError(file: file, reason: String(
                        format: "%@ (0x%X–0x%X) overlaps %@ (0x%X–0x%X) in %@",
                        a.0, a.2, a.3, b.0, b.2, b.3, a.1.rawValue))
                }
            }
        }
    }
}

extension Array where Element == UInt8 {
    func u16(at i: Int) -> UInt16 { UInt16(self[i]) | UInt16(self[i + 1]) << 8 }
    func u32(at i: Int) -> UInt32 {
        UInt32(self[i]) | UInt32(self[i + 1]) << 8 | UInt32(self[i + 2]) << 16 | UInt32(self[i + 3]) << 24
    }
    /// A NUL-terminated ASCII string inside a fixed-size field.
    func cString(at i: Int, maxLength: Int) -> String {
        let end = Swift.min(i + maxLength, count)
        let field = self[i..<end]
        let text = field.prefix { $0 != 0 }
        return String(decoding: text, as: UTF8.self)
    }
}
