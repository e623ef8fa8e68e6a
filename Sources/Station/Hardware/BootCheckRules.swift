import QA
import Vocabulary

/// How the boot check reads a freshly flashed app's SoC log (x.2): the firmware's own error
/// lines (luatos-formats §4.3: `E/main 未找到main.lua…`; a Lua error in main or a task is
/// logged at level E with its traceback). The markers are inferred from the firmware sources,
/// so they are settings a real board can correct.
public struct BootCheckRules: Sendable, Equatable {
    /// How long the app must run without an error line.
    public var window: Duration
    /// A record with one of these markers means the firmware found no script.
    public var noScriptMarkers: [String]
    /// A record containing one of these is a Lua error in the app (an app's own `log.error`
    /// is `E/user.<tag>` and is not one).
    public var luaErrorMarkers: [String]
    /// The boot banner; seen twice, the app rebooted inside the window.
    public var bootBanner: String

    public init(window: Duration = .seconds(5),
                noScriptMarkers: [String] = ["未找到main.lua"],
                luaErrorMarkers: [String] = ["E/main", "E/user.coroutine", "stack traceback"],
                bootBanner: String = "LuatOS@") {
        self.window = window
        self.noScriptMarkers = noScriptMarkers
        self.luaErrorMarkers = luaErrorMarkers
        self.bootBanner = bootBanner
    }

    /// The failure the log shows, or nil when the app ran clean.
    public func failure(in records: [LuatOSLogRecord]) -> StepFailure? {
        if let r = records.first(where: { r in noScriptMarkers.contains { r.text.contains($0) } }) {
            return StepFailure(failureClass: .noScript, detail: r.text)
        }
        if let r = records.first(where: { r in luaErrorMarkers.contains { r.text.contains($0) } }) {
            return StepFailure(failureClass: .appLuaError, detail: r.text)
        }
        if records.filter({ $0.text.contains(bootBanner) }).count > 1 {
            return StepFailure(failureClass: .appRebooted, detail: "the app rebooted during the boot check")
        }
        return nil
    }
}
