import Firmware

/// Bytes a full session puts on the wire, for `--dry-run` and benchmarks: the flasher's own
/// sequence counted without I/O, assuming the device offers `romPacket`/`agentPacket` sizes and
/// every sync is answered in the first round.
public struct WireEstimate: Sendable, Equatable {
    public var hostToDevice = 0
    public var deviceToHost = 0
    public var total: Int { hostToDevice + deviceToHost }

    public static func session(plan: FlashPlan, agentBootSize: Int, romPacket: Int = 0x400, agentPacket: Int = 0x4000,
                               settings: FlasherSettings = FlasherSettings()) -> WireEstimate {
        var e = WireEstimate()
        let words = settings.syncWordsPerRound
        func sync() { e.hostToDevice += 4 * words; e.deviceToHost += 4 }
        func command(_ payload: Int, _ answer: Int, protected: Bool, trailer: Bool = false) {
            e.hostToDevice += 8 + payload + (protected || trailer ? 4 : 0)
            e.deviceToHost += 6 + answer + (protected ? 4 : 0)
        }
        func baseInfo(_ protected: Bool) {
            command(0, 12, protected: protected); command(0, 4, protected: protected); command(0, 0, protected: protected)
        }
        func transfer(_ size: Int, packet: Int, protected: Bool) {
            var left = size
            while left > 0 {
                let n = min(left, packet)
                command(4, 4, protected: protected)
                command(n, 0, protected: protected, trailer: true)
                left -= n
            }
            command(0, 0, protected: protected)
        }
        sync(); baseInfo(false); transfer(ImageHeader.size, packet: romPacket, protected: false)
        sync(); baseInfo(false); transfer(agentBootSize, packet: romPacket, protected: false)
        for image in plan.images {
            sync(); command(image.storage == .cpFlash ? 6 : 4, 0, protected: true)
            sync(); sync(); baseInfo(true)
            transfer(ImageHeader.size, packet: agentPacket, protected: true)
            var offset = 0
            while offset < image.size {
                let n = min(ProtocolConstants.maxOuterBlock, image.size - offset)
                sync()
                if settings.baseInfoPerBlock { baseInfo(true) }
                transfer(n, packet: agentPacket, protected: true)
                offset += n
            }
            command(0, 4, protected: true)
        }
        sync(); command(0, 8, protected: true)
        return e
    }
}
