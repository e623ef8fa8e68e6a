import CLua
import Firmware
import Foundation
import LuaImage

/// A simulated board's LuatOS after reset: reads the LuaDB from the script partition, runs
/// `main` in an embedded Lua 5.3 behind the LuatOS API shim (sys scheduler, http, log, json,
/// crypto, io in a sandbox, mobile, rtos, uart, miniz), and sends its log records to the x.2 port
/// and VUART bytes to the x.6 port.
///
/// One `run` is one power cycle. The Lua state lives only inside `run`, on this actor.
public actor LuatOSRuntime {
    /// Why a run ended.
    public enum Outcome: Sendable, Equatable {
        /// Nothing left that could wake the script (no timers, requests or attach pending).
        case idle
        /// `stop()` was called.
        case stopped
        /// The time limit of `run(for:)` passed.
        case timeLimit
        /// The script called `rtos.reboot()`/`sys.restart()`.
        case rebooted(String)
        /// No usable script in flash (the firmware logs "未找到main.lua" and idles).
        case noScript(String)
        /// The VM ended on a Lua error (in `main`, a timer or subscriber callback, or raised again
        /// by `sys.lua` from a task) and the board rebooted `exitRebootDelay` later, as LuatOS
        /// does (`luat/modules/luat_main.c`); the next run starts `main` again.
        case vmExited(String)
        /// The simulator itself could not start the script (its shim or sandbox failed).
        case mainFailed(String)
    }

    /// What one run produced.
    public struct Report: Sendable {
        public let outcome: Outcome
        /// Every log record's text, in order (the x.2 port carries them framed).
        public let logLines: [String]
        /// Every byte written to `uart.VUART_0`.
        public let vuart: [UInt8]
        /// Lua errors of this run: in tasks, callbacks and `main` itself.
        public let taskErrors: [String]
        /// Every address the board connected or tried to connect to, in order (all on this
        /// machine: `SimulatedNetwork`).
        public var connections: [String] = []
    }

    public let files: [LuaDBFile]
    public let identity: RuntimeIdentity
    public let settings: RuntimeSettings
    public let ports: RuntimePorts
    private var stopContinuation: AsyncStream<RuntimeEvent>.Continuation?
    private var stopRequested = false
    private var logLines: [String] = []
    private var vuart: [UInt8] = []

    public init(files: [LuaDBFile], identity: RuntimeIdentity, settings: RuntimeSettings,
                ports: RuntimePorts = RuntimePorts()) {
        self.files = files
        self.identity = identity
        self.settings = settings
        self.ports = ports
    }

    /// The LuaDB files in the script partition of an AP flash image. Throws when the partition
    /// holds no valid LuaDB (a board flashed without a script).
    public static func scriptFiles(apFlash: [UInt8], partition: ScriptPartition) throws -> [LuaDBFile] {
        let start = Int(partition.flashOffset)
        guard start < apFlash.count else {
            throw FirmwareError(file: "ap_flash", reason: "script partition at 0x\(String(start, radix: 16)) is beyond the flash")
        }
        let end = min(apFlash.count, start + partition.capacity)
        return try LuaDBReader.parse(Array(apFlash[start..<end]), file: "script partition").files
    }

    /// Ends a run in progress (as if the board were powered off).
    public func stop() {
        stopRequested = true
        stopContinuation?.yield(.stop)
    }

    /// Boots and runs the script until it goes idle, reboots, `stop()` is called or `limit` passes.
    public func run(for limit: Duration) async -> Report {
        logLines = []
        vuart = []
        let (events, continuation) = AsyncStream.makeStream(of: RuntimeEvent.self)
        stopContinuation = continuation
        let luadb = Dictionary(files.map { ($0.name, $0.bytes) }, uniquingKeysWith: { first, _ in first })
        let host: RuntimeHost
        do {
            host = try RuntimeHost(settings: settings, identity: identity, luadb: luadb, events: continuation)
        } catch {
            return Report(outcome: .mainFailed("sandbox: \(error)"), logLines: [], vuart: [], taskErrors: [], connections: [])
        }
        let outcome = await boot(host: host, events: events, limit: limit)
        host.cancelAll()
        continuation.finish()
        stopContinuation = nil
        return Report(outcome: outcome, logLines: logLines, vuart: vuart, taskErrors: host.taskErrors,
                      connections: host.connections)
    }

    private func boot(host: RuntimeHost, events: AsyncStream<RuntimeEvent>, limit: Duration) async -> Outcome {
        guard let L = luaL_newstate() else { return .mainFailed("Lua could not allocate a state") }
        defer { lua_close(L) }
        luaL_openlibs(L)
        host.log("I/main LuatOS@EC618 base 23.11 bsp \(settings.firmwareVersion) 32bit")
        host.log("I/main ROM Build: BoardSim")

        let hostPointer = Unmanaged.passUnretained(host).toOpaque()
        let prelude = Array(LuatOSPrelude.source.utf8)
        let loaded = prelude.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                luaL_loadbufferx(L, $0, buffer.count, "=luatos-shim", "t")
            }
        }
        guard loaded == LUA_OK else { return .mainFailed("shim: \(LuaStack.string(L, -1) ?? "?")") }
        RuntimePrimitives.install(L, host: hostPointer)
        if let error = protectedCall(L, arguments: 1) { return .mainFailed("shim: \(error)") }

        // main: /luadb/main.luac wins over main.lua (spec §2.6).
        guard let mainName = ["main.luac", "main.lua"].first(where: { host.luadb[$0] != nil }) else {
            host.log("E/main 未找到main.lua,请刷入脚本以运行程序")
            await flush(host)
            return .noScript("no main.lua or main.luac in /luadb")
        }
        if settings.attachesBeforeMain && !settings.faults.noAttach {
            // IP_READY goes out before any task exists to hear it.
            await attach(L, host)
        }
        lua_getglobal(L, "package")
        lua_getfield(L, -1, "searchers")
        lua_rawgeti(L, -1, 2)
        lua_rotate(L, -3, 1)
        shim_lua_pop(L, 2)
        LuaStack.push(L, "main")
        if let error = protectedCall(L, arguments: 1, results: 1) {
            host.exitVM(error)
        } else if lua_type(L, -1) != LUA_TFUNCTION {
            host.exitVM("cannot load /luadb/\(mainName)")
        } else if let error = protectedCall(L, arguments: 0) {
            host.exitVM(error)
        }
        if host.vmExit == nil { dispatch(L, host) }
        await flush(host)

        let continuation = host.events
        if !settings.faults.noAttach && !host.attached {
            let delay = settings.attachDelay
            Task { try? await Task.sleep(for: delay); continuation.yield(.attach) }
        }
        let limitTask = Task { try? await Task.sleep(for: limit); if !Task.isCancelled { continuation.yield(.stop) } }
        defer { limitTask.cancel() }
        if stopRequested { return .stopped }
        if let reason = host.rebootReason { return .rebooted(reason) }
        guard host.pendingWork else { return .idle }

        for await event in events {
            switch event {
            case .stop:
                if let reason = host.rebootReason { return .rebooted(reason) }
                return stopRequested ? .stopped : .timeLimit
            case .rebootAfterExit:
                return .vmExited(host.vmExit ?? "Lua VM exit")
            case .raiseTaskError(let traceback):
                // `assert(false, traceBack)` inside sys.run(): main aborts with that message.
                host.exitVM(traceback)
            case .attach:
                await attach(L, host)
            case .timer(let id):
                guard host.timers.removeValue(forKey: id) != nil, host.vmExit == nil else { continue }
                callSys(L, host, "__timer") { lua_pushinteger(L, lua_Integer(id)); return 1 }
            case .http(let id, let outcome):
                host.requests.removeValue(forKey: id)
                host.connections += outcome.connections
                guard host.vmExit == nil else { continue }
                for line in outcome.log { host.log(line) }
                deliver(L, host, id: id, outcome: outcome)
            }
            if host.vmExit == nil { dispatch(L, host) }
            await flush(host)
            // A reboot asked for by what just ran wins over going idle (its stop event is still queued).
            if let reason = host.rebootReason { return .rebooted(reason) }
            if !host.pendingWork { return .idle }
        }
        return stopRequested ? .stopped : .idle
    }

    /// The 4G link comes up: `IP_READY` is published once, to whoever listens now (LuatOS
    /// `components/mobile/luat_lib_mobile.c`, `NETIF_LINK_ON -> IP_READY`).
    private func attach(_ L: OpaquePointer, _ host: RuntimeHost) async {
        host.attached = true
        await host.link.setUp()
        guard host.vmExit == nil else { return }
        host.log("D/mobile NETIF_LINK_ON -> IP_READY")
        callSys(L, host, "publish") { LuaStack.push(L, "IP_READY"); LuaStack.push(L, "10.0.0.2"); lua_pushinteger(L, 1); return 3 }
        dispatch(L, host)
        await flush(host)
    }

    /// `http.__result(id, code, headers, body)`: body is the text, or the file size for `dst`.
    private func deliver(_ L: OpaquePointer, _ host: RuntimeHost, id: Int, outcome: RuntimeHTTPOutcome) {
        lua_getglobal(L, "http")
        lua_getfield(L, -1, "__result")
        lua_rotate(L, -2, 1)
        shim_lua_pop(L, 1)
        lua_pushinteger(L, lua_Integer(id))
        lua_pushinteger(L, lua_Integer(outcome.code))
        if outcome.code >= 100 {
            lua_createtable(L, 0, Int32(outcome.headers.count))
            for (name, value) in outcome.headers { LuaStack.setField(L, name, value) }
            if let size = outcome.downloadedSize { lua_pushinteger(L, lua_Integer(size)) }
            else { LuaStack.push(L, outcome.body) }
        } else {
            lua_pushnil(L)
            lua_pushnil(L)
        }
        if let error = protectedCall(L, arguments: 4) { host.note(error) }
    }

    private func callSys(_ L: OpaquePointer, _ host: RuntimeHost, _ name: String, _ pushArguments: () -> Int32) {
        lua_getglobal(L, "sys")
        lua_getfield(L, -1, name)
        lua_rotate(L, -2, 1)
        shim_lua_pop(L, 1)
        let n = pushArguments()
        if let error = protectedCall(L, arguments: n) { host.note(error) }
    }

    private func dispatch(_ L: OpaquePointer, _ host: RuntimeHost) {
        callSys(L, host, "__dispatch") { 0 }
    }

    /// `lua_pcall` with a traceback handler; returns the error text, or nil on success.
    private func protectedCall(_ L: OpaquePointer, arguments: Int32, results: Int32 = 0) -> String? {
        let base = lua_gettop(L) - arguments
        lua_getglobal(L, "debug")
        lua_getfield(L, -1, "traceback")
        lua_rotate(L, -2, 1)
        shim_lua_pop(L, 1)
        lua_rotate(L, base, 1)
        let status = shim_lua_pcall(L, arguments, results, base)
        if status != LUA_OK {
            let message = LuaStack.string(L, -1) ?? "error \(status)"
            lua_settop(L, base - 1)
            return message
        }
        lua_rotate(L, base, -1)
        shim_lua_pop(L, 1)
        return nil
    }

    private func flush(_ host: RuntimeHost) async {
        let records = host.pendingLog
        let bytes = host.pendingVUART
        host.pendingLog = []
        host.pendingVUART = []
        let ms = UInt64(max(0, host.millisecondsSinceBoot))
        for record in records {
            logLines.append(String(decoding: record, as: UTF8.self))
            if let sink = ports.socLog {
                await sink(LuatOSLogFrame.encode(text: record, milliseconds: ms, escaping: settings.logEscaping))
            }
        }
        if !bytes.isEmpty {
            vuart += bytes
            if let sink = ports.vuart { await sink(bytes) }
        }
    }
}

extension RuntimeHost {
    /// Records an error raised outside any task (a timer callback, a result delivery).
    func note(_ error: String) {
        taskErrors.append(error)
        log("E/main " + error)
    }
}
