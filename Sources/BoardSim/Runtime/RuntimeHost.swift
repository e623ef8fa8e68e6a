import CLua
import Foundation

/// Something the runtime's event loop must hand to Lua.
enum RuntimeEvent: Sendable {
    case timer(Int)
    case http(Int, RuntimeHTTPOutcome)
    case attach
    case stop
    /// `sys.lua` raises a task's error again (`assert(false, traceback)` from a timer), which
    /// ends `sys.run()` and so the VM.
    case raiseTaskError(String)
    /// The reboot delay after the VM ended has passed.
    case rebootAfterExit
}

/// The state behind the Lua primitives: owned by one `LuatOSRuntime` and only ever touched on
/// its executor (during a Lua call or between two). Lua C functions reach it through an upvalue.
final class RuntimeHost {
    let settings: RuntimeSettings
    let identity: RuntimeIdentity
    /// LuaDB files by name (the flashed `/luadb/`).
    let luadb: [String: [UInt8]]
    let boot = ContinuousClock.now
    let events: AsyncStream<RuntimeEvent>.Continuation
    /// The board's HTTP client: performs its requests for real, as the firmware's would.
    let http: FirmwareHTTPClient
    let fsRoot: String
    let luadbRoot: String
    let link = LinkState()

    var attached = false
    /// The VM ended on this error; the board reboots after `exitRebootDelay`.
    var vmExit: String?
    private var taskErrorRaise: Task<Void, Never>?
    var nextRequest = 0
    var timers: [Int: Task<Void, Never>] = [:]
    var requests: [Int: Task<Void, Never>] = [:]
    /// Output produced during the current Lua call, flushed to the ports afterwards.
    var pendingLog: [[UInt8]] = []
    var pendingVUART: [UInt8] = []
    var taskErrors: [String] = []
    /// Every address the board's HTTP client connected (or tried to connect) to.
    var connections: [String] = []
    var rebootReason: String?

    init(settings: RuntimeSettings, identity: RuntimeIdentity, luadb: [String: [UInt8]],
         events: AsyncStream<RuntimeEvent>.Continuation) throws {
        self.settings = settings
        self.identity = identity
        self.luadb = luadb
        self.events = events
        let clockAtBoot = settings.clockAtBoot, boot = self.boot
        self.http = FirmwareHTTPClient(network: settings.network, faults: settings.faults,
                                       maxResponseBytes: settings.maxResponseBytes, behaviour: settings.http,
                                       cellLink: settings.cellLink, link: link) {
            clockAtBoot.addingTimeInterval(Double((ContinuousClock.now - boot).components.seconds))
        }
        fsRoot = settings.sandboxDirectory + "/fs"
        luadbRoot = settings.sandboxDirectory + "/luadb"
        let fm = FileManager.default
        try fm.createDirectory(atPath: fsRoot, withIntermediateDirectories: true)
        // /luadb is re-made from flash at every boot, like the mapped partition.
        try? fm.removeItem(atPath: luadbRoot)
        try fm.createDirectory(atPath: luadbRoot, withIntermediateDirectories: true)
        for (name, bytes) in luadb {
            try Data(bytes).write(to: URL(fileURLWithPath: luadbRoot + "/" + name))
        }
    }

    var millisecondsSinceBoot: Int64 {
        let elapsed = ContinuousClock.now - boot
        return elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
    }

    var pendingWork: Bool {
        vmExit != nil || taskErrorRaise != nil || !timers.isEmpty || !requests.isEmpty
            || (!attached && !settings.faults.noAttach)
    }

    /// An error escaped a task: `sys.lua` logs it with its traceback as `coroutine.resume` and
    /// raises it again `taskErrorRaiseDelay` later from a timer (`sys.timerStart(assert, 500,
    /// false, traceBack)`, LuatOS `script/corelib/sys.lua`), which ends the VM.
    func taskFailed(_ text: String) {
        taskErrors.append(text)
        log("E/user.coroutine.resume" + settings.logArgumentSeparator + text)
        guard taskErrorRaise == nil, vmExit == nil else { return }
        let events = self.events, delay = settings.taskErrorRaiseDelay
        taskErrorRaise = Task {
            try? await Task.sleep(for: delay)
            if !Task.isCancelled { events.yield(.raiseTaskError(text)) }
        }
    }

    /// The VM ended on `error` (in `main` itself or raised again from a task): LuatOS logs it
    /// and "Lua VM exit!! reboot in 15000ms", feeds the watchdog and reboots after
    /// `LUAT_EXIT_REBOOT_DELAY` (`luat/modules/luat_main.c`, `luat/include/luat_ota.h`).
    /// Nothing of the script runs any more: timers and requests die with the VM.
    func exitVM(_ error: String) {
        guard vmExit == nil else { return }
        vmExit = error
        if !taskErrors.contains(error) { taskErrors.append(error) }
        log("E/main Luat: ")
        log("E/main " + error)
        let delay = settings.exitRebootDelay
        log("E/main Lua VM exit!! reboot in \(delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000)ms")
        cancelAll()
        let events = self.events
        Task {
            try? await Task.sleep(for: delay)
            events.yield(.rebootAfterExit)
        }
    }

    func log(_ text: String) {
        pendingLog.append(Array(text.utf8))
    }

    func startTimer(_ id: Int, milliseconds: Int) {
        timers[id]?.cancel()
        let events = self.events
        timers[id] = Task {
            try? await Task.sleep(for: .milliseconds(milliseconds))
            if !Task.isCancelled { events.yield(.timer(id)) }
        }
    }

    func stopTimer(_ id: Int) {
        timers.removeValue(forKey: id)?.cancel()
    }

    func startRequest(_ request: RuntimeHTTPRequest) {
        let events = self.events
        let http = self.http
        requests[request.id] = Task {
            let outcome = await http.perform(request)
            events.yield(.http(request.id, outcome))
        }
    }

    /// Maps a board path (`/luadb/x`, `/x`) into the sandbox. `/luadb` is read-only.
    func hostPath(_ path: String, mode: String) -> Result<String, PathRefusal> {
        var parts: [Substring] = []
        for part in path.split(separator: "/") where part != "." && !part.isEmpty {
            if part == ".." { return .failure(PathRefusal(reason: "path leaves the file system: \(path)")) }
            parts.append(part)
        }
        let writing = mode.contains("w") || mode.contains("a") || mode.contains("+")
        if parts.first == "luadb" {
            if writing { return .failure(PathRefusal(reason: "/luadb is read-only: \(path)")) }
            return .success(([luadbRoot] + parts.dropFirst().map(String.init)).joined(separator: "/"))
        }
        return .success(([fsRoot] + parts.map(String.init)).joined(separator: "/"))
    }

    struct PathRefusal: Error { let reason: String }

    /// Cancels everything the script had pending: timers, requests and a task error waiting to
    /// be raised again.
    func cancelAll() {
        taskErrorRaise?.cancel()
        for task in timers.values { task.cancel() }
        for task in requests.values { task.cancel() }
        timers = [:]
        requests = [:]
    }

    static func from(_ L: OpaquePointer?) -> RuntimeHost {
        Unmanaged<RuntimeHost>.fromOpaque(lua_touserdata(L, shim_lua_upvalueindex(1))!).takeUnretainedValue()
    }
}
