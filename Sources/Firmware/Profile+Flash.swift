/// The profile's `[flash]` table: regions a plan must never write or erase, on top of the
/// built-in EC618 ones (`EC618FlashMap.protectedRegions`).
struct ProfileFlashFile: Decodable {
    struct Region: Decodable {
        let name: String
        let storage: String
        let start: Int
        let end: Int
    }
    let protected: [Region]?

    /// The checked regions, refused with `refuse` naming the key when one is malformed.
    func regions(refuse: (String) -> FirmwareError) throws -> [ProtectedRegion] {
        try (protected ?? []).enumerated().map { index, region in
            let key = "flash.protected[\(index)]"
            guard !region.name.isEmpty else { throw refuse("\(key).name is empty") }
            guard let storage = FlashStorage(rawValue: region.storage) else {
                throw refuse("\(key).storage must be \"ap_flash\" or \"cp_flash\" (got \"\(region.storage)\")")
            }
            let chip = EC618FlashMap.size(of: storage)
            guard (0..<chip).contains(region.start), (1...chip).contains(region.end), region.start < region.end else {
                throw refuse("\(key): start and end must satisfy 0 <= start < end <= \(chip) (the \(storage.rawValue) size)")
            }
            return ProtectedRegion(name: region.name, storage: storage, start: UInt32(region.start), end: UInt32(region.end))
        }
    }
}
