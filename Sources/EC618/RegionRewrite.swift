import Firmware

/// A region rewritten from what the board already holds: once the AgentBoot runs, the flasher
/// reads the region with READ_MEM, `build` turns those bytes into the new region, and the
/// result is burnt after the plan's images. The board's main LittleFS also holds the platform's
/// own files (protocol-stack NVM, `plat_config`), so per-board files are added to it this way
/// and never written over it.
public struct RegionRewrite: Sendable {
    public let name: String
    public let storage: FlashStorage
    /// Raw offset of the region inside its chip.
    public let offset: UInt32
    public let size: Int
    /// The region's new bytes from its current ones; throwing fails the flash, not retryable.
    public let build: @Sendable ([UInt8]) throws -> [UInt8]

    public init(name: String, storage: FlashStorage = .apFlash, offset: UInt32, size: Int,
                build: @escaping @Sendable ([UInt8]) throws -> [UInt8]) {
        self.name = name
        self.storage = storage
        self.offset = offset
        self.size = size
        self.build = build
    }
}
