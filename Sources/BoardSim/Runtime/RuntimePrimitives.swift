import Deflate
import CLua
import Crypto
import Foundation
import LuaImage

/// The Swift primitives table `P` handed to the prelude. Primitives never raise Lua errors
/// (a `lua_error` longjmp would skip Swift cleanup); they return `nil, message` and the prelude
/// decides what to raise.
enum RuntimePrimitives {
    static func install(_ L: OpaquePointer?, host: UnsafeMutableRawPointer) {
        lua_createtable(L, 0, 32)
        let r = LuaRegistrar(L: L, host: host)
        r.add("separator") { L in
            LuaStack.push(L, RuntimeHost.from(L).settings.logArgumentSeparator); return 1
        }
        r.add("now") { L in lua_pushinteger(L, lua_Integer(RuntimeHost.from(L).millisecondsSinceBoot)); return 1 }
        r.add("log") { L in
            RuntimeHost.from(L).log(LuaStack.string(L, 1) ?? ""); return 0
        }
        r.add("task_error") { L in
            RuntimeHost.from(L).taskFailed(LuaStack.string(L, 1) ?? "error"); return 0
        }
        r.add("vm_error") { L in
            RuntimeHost.from(L).exitVM(LuaStack.string(L, 1) ?? "error"); return 0
        }
        r.add("timer_start") { L in
            guard let id = LuaStack.integer(L, 1), let ms = LuaStack.integer(L, 2) else { return 0 }
            RuntimeHost.from(L).startTimer(id, milliseconds: max(ms, 0)); return 0
        }
        r.add("timer_stop") { L in
            if let id = LuaStack.integer(L, 1) { RuntimeHost.from(L).stopTimer(id) }
            return 0
        }
        r.add("vuart") { L in
            RuntimeHost.from(L).pendingVUART += LuaStack.bytes(L, 1) ?? []; return 0
        }
        r.add("http") { L in RuntimePrimitives.startHTTP(L) }
        r.add("path") { L in
            let host = RuntimeHost.from(L)
            guard let path = LuaStack.string(L, 1) else {
                lua_pushnil(L); LuaStack.push(L, "path must be a string"); return 2
            }
            switch host.hostPath(path, mode: LuaStack.string(L, 2) ?? "r") {
            case .success(let p): LuaStack.push(L, p); return 1
            case .failure(let refusal): lua_pushnil(L); LuaStack.push(L, refusal.reason); return 2
            }
        }
        r.add("mkdir") { L in
            let host = RuntimeHost.from(L)
            guard let path = LuaStack.string(L, 1), case .success(let p) = host.hostPath(path, mode: "w") else {
                lua_pushboolean(L, 0); return 1
            }
            let ok = (try? FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)) != nil
            lua_pushboolean(L, ok ? 1 : 0); return 1
        }
        r.add("luadb_load") { L in RuntimePrimitives.loadLuaDB(L) }
        r.add("json_encode") { L in
            let format = RuntimeJSON.floatFormat(LuaStack.string(L, 2))
            do { LuaStack.push(L, try RuntimeJSON.encode(L, 1, floatFormat: format)); return 1 }
            catch let f as RuntimeJSON.Failure { lua_pushnil(L); LuaStack.push(L, f.reason); return 2 }
            catch { lua_pushnil(L); return 1 }
        }
        r.add("json_decode") { L in
            guard let text = LuaStack.bytes(L, 1) else { lua_pushnil(L); LuaStack.push(L, "not a string"); return 2 }
            do { try RuntimeJSON.decode(L, text); return 1 }
            catch let f as RuntimeJSON.Failure { lua_pushnil(L); LuaStack.push(L, f.reason); return 2 }
            catch { lua_pushnil(L); return 1 }
        }
        r.add("hash") { L in
            guard let alg = LuaStack.string(L, 1), let data = LuaStack.bytes(L, 2),
                  let hex = RuntimeDigest.hex(alg, data: data, key: LuaStack.bytes(L, 3)) else { return 0 }
            LuaStack.push(L, hex); return 1
        }
        r.add("hash_file") { L in
            guard let alg = LuaStack.string(L, 1), let path = LuaStack.string(L, 2),
                  let data = FileManager.default.contents(atPath: path),
                  let hex = RuntimeDigest.hex(alg, data: [UInt8](data), key: LuaStack.bytes(L, 3)) else { return 0 }
            LuaStack.push(L, hex); return 1
        }
        r.add("b64") { L in
            guard let data = LuaStack.bytes(L, 1) else { return 0 }
            if lua_toboolean(L, 2) != 0 {
                LuaStack.push(L, Data(data).base64EncodedString())
            } else {
                guard let decoded = Data(base64Encoded: String(decoding: data, as: UTF8.self),
                                         options: .ignoreUnknownCharacters) else { LuaStack.push(L, ""); return 1 }
                LuaStack.push(L, [UInt8](decoded))
            }
            return 1
        }
        r.add("trng") { L in
            let n = min(max(LuaStack.integer(L, 1) ?? 0, 0), 128)
            guard n > 0 else { return 0 }
            LuaStack.push(L, (0..<n).map { _ in UInt8.random(in: 0...255) }); return 1
        }
        r.add("inflate") { L in
            // P.inflate(data, zlibHeader, limit): nil when the output would exceed limit.
            guard let data = LuaStack.bytes(L, 1),
                  let out = Zlib.inflate(data, windowBits: lua_toboolean(L, 2) != 0 ? 15 : -15,
                                         limit: LuaStack.integer(L, 3) ?? (1 << 24)) else { return 0 }
            LuaStack.push(L, out); return 1
        }
        r.add("deflate") { L in
            guard let data = LuaStack.bytes(L, 1),
                  let out = Zlib.deflate(data, windowBits: lua_toboolean(L, 2) != 0 ? 15 : -15) else { return 0 }
            LuaStack.push(L, out); return 1
        }
        r.add("identity") { L in
            let id = RuntimeHost.from(L).identity
            LuaStack.push(L, id.imei)
            if let iccid = id.iccid { LuaStack.push(L, iccid) } else { lua_pushnil(L) }
            LuaStack.push(L, id.imsi)
            lua_pushinteger(L, lua_Integer(id.csq))
            return 4
        }
        // P.rfcal() → rfCaliDone, rfNSTDone (0/1), the module's NPI flags.
        r.add("rfcal") { L in
            let flags = RuntimeHost.from(L).identity.rfCalibration
            lua_pushinteger(L, flags.rfCaliDone ? 1 : 0)
            lua_pushinteger(L, flags.rfNSTDone ? 1 : 0)
            return 2
        }
        r.add("attached") { L in lua_pushboolean(L, RuntimeHost.from(L).attached ? 1 : 0); return 1 }
        r.add("version") { L in LuaStack.push(L, RuntimeHost.from(L).settings.firmwareVersion); return 1 }
        r.add("meminfo") { L in
            // Lua heap figures are the host VM's; "sys" reports a fixed EC618-like heap.
            if LuaStack.string(L, 1) == "sys" {
                lua_pushinteger(L, 1_048_576); lua_pushinteger(L, 262_144); lua_pushinteger(L, 300_000)
            } else {
                let used = lua_Integer(lua_gc(L, LUA_GCCOUNT, 0)) * 1024
                lua_pushinteger(L, 262_136); lua_pushinteger(L, used); lua_pushinteger(L, used)
            }
            return 3
        }
        r.add("reboot") { L in
            let host = RuntimeHost.from(L)
            host.rebootReason = LuaStack.string(L, 1) ?? "reboot"
            host.events.yield(.stop)
            return 0
        }
        installFirmware(r)
    }

    /// `P.http(method, url, headers, body, timeout_ms, dst, ca)` → request id.
    private static func startHTTP(_ L: OpaquePointer?) -> Int32 {
        let host = RuntimeHost.from(L)
        host.nextRequest += 1
        let id = host.nextRequest
        var destination: String?
        if let dst = LuaStack.string(L, 6) {
            if case .success(let p) = host.hostPath(dst, mode: "w") { destination = p }
            else {
                // An unwritable dst fails like the firmware: HTTP_ERROR_DOWNLOAD, after the call returns.
                host.events.yield(.http(id, .failure(.download)))
                lua_pushinteger(L, lua_Integer(id)); return 1
            }
        }
        // `opts.timeout` in ms; 0 means no timer at all ("写0即永久等待").
        let timeoutMs = LuaStack.integer(L, 5) ?? 600_000
        let request = RuntimeHTTPRequest(
            id: id, method: LuaStack.string(L, 1) ?? "GET", url: LuaStack.string(L, 2) ?? "",
            headers: LuaStack.stringPairs(L, 3), body: lua_type(L, 4) == LUA_TSTRING ? LuaStack.bytes(L, 4) : nil,
            timeout: timeoutMs <= 0 ? nil : .milliseconds(timeoutMs),
            destination: destination, caPEM: LuaStack.string(L, 7))
        host.startRequest(request)
        lua_pushinteger(L, lua_Integer(id))
        return 1
    }

    /// `P.luadb_load(name)` → the loaded chunk, `nil` if absent, or `nil, message`.
    private static func loadLuaDB(_ L: OpaquePointer?) -> Int32 {
        let host = RuntimeHost.from(L)
        guard let name = LuaStack.string(L, 1), var bytes = host.luadb[name], !bytes.isEmpty else { lua_pushnil(L); return 1 }
        if bytes.first == 0x1B {
            do { bytes = try EC618Bytecode.toHost(bytes, file: "/luadb/" + name) }
            catch { lua_pushnil(L); LuaStack.push(L, "/luadb/\(name): \(error)"); return 2 }
        }
        let chunkName = "@/luadb/" + name
        let status = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: max(buffer.count, 1)) {
                luaL_loadbufferx(L, $0, buffer.count, chunkName, "bt")
            }
        }
        if status != LUA_OK { lua_pushnil(L); lua_rotate(L, -2, 1); return 2 }
        return 1
    }
}

/// Hex digests exactly as LuatOS' crypto module returns them: uppercase hex
/// (`luat_str_tohex` uses "0123456789ABCDEF"; LuatOS `luat/modules/luat_lib_crypto.c`).
enum RuntimeDigest {
    static func hex(_ algorithm: String, data: [UInt8], key: [UInt8]?) -> String? {
        let digest: [UInt8]
        switch (algorithm.uppercased(), key) {
        case ("MD5", nil): digest = Array(Insecure.MD5.hash(data: data))
        case ("SHA1", nil): digest = Array(Insecure.SHA1.hash(data: data))
        case ("SHA256", nil): digest = Array(SHA256.hash(data: data))
        case ("SHA512", nil): digest = Array(SHA512.hash(data: data))
        case ("MD5", let k?): digest = Array(HMAC<Insecure.MD5>.authenticationCode(for: data, using: SymmetricKey(data: k)))
        case ("SHA1", let k?): digest = Array(HMAC<Insecure.SHA1>.authenticationCode(for: data, using: SymmetricKey(data: k)))
        case ("SHA256", let k?): digest = Array(HMAC<SHA256>.authenticationCode(for: data, using: SymmetricKey(data: k)))
        case ("SHA512", let k?): digest = Array(HMAC<SHA512>.authenticationCode(for: data, using: SymmetricKey(data: k)))
        default: return nil
        }
        return HexText.upper(digest)
    }
}
