import Firmware
import LuaImage

extension SocPackage {
    /// How scripts must be built for this core: bytecode or sources, debug info, the bitness
    /// `info.json` asks for, and the script partition's capacity (named after the package).
    public func scriptImageOptions() throws -> ScriptImageOptions {
        let settings = info.script
        guard let layout = LuaDumpLayout.luatos(bitWidth: settings.bitWidth) else {
            throw FirmwareError(file: path, reason: "script.bitw \(settings.bitWidth) is not supported")
        }
        return ScriptImageOptions(useLuac: settings.useLuac, useDebug: settings.useDebug, layout: layout,
                                  capacity: info.scriptPartition.capacity, capacitySource: path)
    }
}
