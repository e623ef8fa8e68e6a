import BoardSim
import Foundation
import LuaImage

/// Runs Lua source as a simulated board's `main.lua` with millisecond timings.
enum RuntimeHarness {
    static func sandbox() -> String {
        let dir = NSTemporaryDirectory() + "runtime-test-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func settings(attachMs: Int = 5, faults: NetworkFaults = .none) -> RuntimeSettings {
        var s = RuntimeSettings(sandboxDirectory: sandbox())
        s.attachDelay = .milliseconds(attachMs)
        s.faults = faults
        // The firmware waits 15 s before rebooting after a Lua error; tests need not.
        s.exitRebootDelay = .milliseconds(100)
        return s
    }

    static func run(_ source: String, extraFiles: [LuaDBFile] = [], settings: RuntimeSettings = settings(),
                    identity: RuntimeIdentity = .simulated(7), ports: RuntimePorts = RuntimePorts(),
                    limit: Duration = .seconds(10)) async -> LuatOSRuntime.Report {
        let files = [LuaDBFile(name: "main.lua", bytes: Array(source.utf8))] + extraFiles
        let runtime = LuatOSRuntime(files: files, identity: identity, settings: settings, ports: ports)
        let report = await runtime.run(for: limit)
        try? FileManager.default.removeItem(atPath: settings.sandboxDirectory)
        return report
    }
}

/// Collects bytes a port sink receives (tests read them after the run).
actor ByteCollector {
    private(set) var bytes: [UInt8] = []
    func append(_ more: [UInt8]) { bytes += more }
}
