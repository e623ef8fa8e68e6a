#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Links

/// FunctionFS ep0 blobs (`<linux/usb/functionfs.h>`, v2 descriptors), built in Swift.
enum FunctionFSDescriptors {
    static let descriptorsMagicV2: UInt32 = 3
    static let stringsMagic: UInt32 = 2
    static let hasFullSpeed: UInt32 = 1
    static let hasHighSpeed: UInt32 = 2

    /// Bulk max-packet sizes: full speed 64, high speed 512 (`dummy_hcd` runs at high speed).
    static let fullSpeedPacket: UInt16 = 64
    static let highSpeedPacket: UInt16 = 512

    /// One vendor-class interface (FF/00/00) with bulk OUT (ep1) then bulk IN (ep2).
    static func vendorBulk() -> [UInt8] {
        func set(_ packet: UInt16) -> [[UInt8]] {
            [interface(number: 0, endpoints: 2),
             endpoint(address: 0x01, packet: packet),
             endpoint(address: 0x82, packet: packet)]
        }
        return blob(fullSpeed: set(fullSpeedPacket), highSpeed: set(highSpeedPacket))
    }

    /// `interfaces` vendor-class interfaces with no endpoints: they only take interface numbers.
    static func zeroEndpointPad(interfaces: Int) -> [UInt8] {
        let set = (0..<interfaces).map { interface(number: UInt8($0), endpoints: 0) }
        return blob(fullSpeed: set, highSpeed: set)
    }

    /// A strings blob with no languages (every iInterface is 0).
    static func noStrings() -> [UInt8] {
        le32(stringsMagic) + le32(16) + le32(0) + le32(0)
    }

    static func interface(number: UInt8, endpoints: UInt8) -> [UInt8] {
        [9, 4, number, 0, endpoints, 0xFF, 0x00, 0x00, 0]
    }

    static func endpoint(address: UInt8, packet: UInt16) -> [UInt8] {
        [7, 5, address, 0x02, UInt8(packet & 0xFF), UInt8(packet >> 8), 0]
    }

    static func blob(fullSpeed: [[UInt8]], highSpeed: [[UInt8]]) -> [UInt8] {
        let body = fullSpeed.flatMap { $0 } + highSpeed.flatMap { $0 }
        let length = UInt32(12 + 8 + body.count)
        return le32(descriptorsMagicV2) + le32(length) + le32(hasFullSpeed | hasHighSpeed)
            + le32(UInt32(fullSpeed.count)) + le32(UInt32(highSpeed.count)) + body
    }

    static func le32(_ v: UInt32) -> [UInt8] {
        [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)]
    }
}

/// The device side of a FunctionFS bulk pair as a `ByteLink`: reads come from `ep1` (bulk OUT,
/// host → board), writes go to `ep2` (bulk IN).
///
