import CLua
import Foundation
import LuaImage

/// Primitives behind the firmware surface of the prelude: the API manifest, fskv, the LittleFS
/// helpers of `fs`/`io`, and module loading from the LittleFS root.
extension RuntimePrimitives {
    static func installFirmware(_ r: LuaRegistrar) {
        // P.manifest() → { [module] = { f = { name = true }, c = { NAME = value } } } for the board's build.
        r.add("manifest") { L in
            let settings = RuntimeHost.from(L).settings
            let modules = FirmwareAPIManifest.modules(for: settings.firmwareBuild, options: settings.buildOptions)
            lua_createtable(L, 0, Int32(modules.count))
            for (name, module) in modules {
                lua_createtable(L, 0, 2)
                lua_createtable(L, 0, Int32(module.functions.count))
                for function in module.functions {
                    lua_pushboolean(L, 1)
                    lua_setfield(L, -2, function)
                }
                lua_setfield(L, -2, "f")
                lua_createtable(L, 0, Int32(module.constants.count))
                for constant in module.constants {
                    lua_pushinteger(L, lua_Integer(constant.value))
                    lua_setfield(L, -2, constant.name)
                }
                lua_setfield(L, -2, "c")
                lua_setfield(L, -2, name)
            }
            return 1
        }
        // json.null: a NULL light userdata (components/lua-cjson/lua_cjson.c, ROREG_PTR(NULL)).
        r.add("json_null") { L in lua_pushlightuserdata(L, nil); return 1 }

        // P.fskv(op, …): the store under <sandbox>/fskv (RuntimeFSKV).
        r.add("fskv") { L in
            let store = RuntimeFSKV(sandbox: RuntimeHost.from(L).settings.sandboxDirectory)
            switch LuaStack.string(L, 1) ?? "" {
            case "set":
                guard let key = LuaStack.bytes(L, 2), let value = LuaStack.bytes(L, 3) else { lua_pushboolean(L, 0); return 1 }
                lua_pushboolean(L, store.set(key, value) ? 1 : 0); return 1
            case "get":
                guard let key = LuaStack.bytes(L, 2), let value = store.get(key) else { lua_pushnil(L); return 1 }
                LuaStack.push(L, value); return 1
            case "del":
                if let key = LuaStack.bytes(L, 2) { store.delete(key) }
                lua_pushboolean(L, 1); return 1
            case "clear":
                lua_pushboolean(L, store.clear() ? 1 : 0); return 1
            case "stat":
                let s = store.status()
                lua_pushinteger(L, lua_Integer(s.used)); lua_pushinteger(L, lua_Integer(s.total)); lua_pushinteger(L, lua_Integer(s.count))
                return 3
            case "key":
                let keys = store.keys()
                let index = LuaStack.integer(L, 2) ?? 0
                guard index >= 0, index < keys.count else { lua_pushnil(L); return 1 }
                LuaStack.push(L, keys[index]); return 1
            default:
                lua_pushnil(L); return 1
            }
        }

        // P.fsstat(path) → true, total blocks, used blocks, block size, "lfs" (luat/modules/luat_lib_fs.c).
        r.add("fsstat") { L in
            let host = RuntimeHost.from(L)
            let blockSize = 4096
            let totalBlocks = 288 * 1024 / blockSize        // LittleFS 0x384000–0x3CC000 (spec §4.1)
            var bytes = 0
            if let walker = FileManager.default.enumerator(atPath: host.fsRoot) {
                for case let name as String in walker {
                    bytes += ((posixFileSize(host.fsRoot + "/" + name) ?? 0) + blockSize - 1) / blockSize * blockSize
                }
            }
            lua_pushboolean(L, 1)
            lua_pushinteger(L, lua_Integer(totalBlocks))
            lua_pushinteger(L, lua_Integer(min(totalBlocks, 2 + bytes / blockSize)))
            lua_pushinteger(L, lua_Integer(blockSize))
            LuaStack.push(L, "lfs")
            return 5
        }
        r.add("filesize") { L in
            guard let path = LuaStack.string(L, 1), let size = posixFileSize(path) else {
                lua_pushinteger(L, 0); return 1
            }
            lua_pushinteger(L, lua_Integer(size)); return 1
        }
        r.add("isdir") { L in
            let host = RuntimeHost.from(L)
            var isDirectory: ObjCBool = false
            guard let path = LuaStack.string(L, 1), case .success(let p) = host.hostPath(path, mode: "r"),
                  FileManager.default.fileExists(atPath: p, isDirectory: &isDirectory) else { lua_pushboolean(L, 0); return 1 }
            lua_pushboolean(L, isDirectory.boolValue ? 1 : 0); return 1
        }
        r.add("rmdir") { L in
            let host = RuntimeHost.from(L)
            guard let path = LuaStack.string(L, 1), case .success(let p) = host.hostPath(path, mode: "w"),
                  p != host.fsRoot, (try? FileManager.default.contentsOfDirectory(atPath: p))?.isEmpty == true else {
                lua_pushboolean(L, 0); return 1
            }
            lua_pushboolean(L, (try? FileManager.default.removeItem(atPath: p)) != nil ? 1 : 0); return 1
        }
        // P.lsdir(path) → { { name, type = 0 file / 1 dir, size } … } sorted, or nil, message.
        r.add("lsdir") { L in
            let host = RuntimeHost.from(L)
            guard let path = LuaStack.string(L, 1), case .success(let p) = host.hostPath(path, mode: "r"),
                  let names = try? FileManager.default.contentsOfDirectory(atPath: p) else {
                lua_pushnil(L); LuaStack.push(L, "not a directory"); return 2
            }
            let sorted = names.sorted()
            lua_createtable(L, Int32(sorted.count), 0)
            for (i, name) in sorted.enumerated() {
                var isDirectory: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: p + "/" + name, isDirectory: &isDirectory)
                let size = posixFileSize(p + "/" + name)
                lua_createtable(L, 0, 3)
                LuaStack.setField(L, "name", name)
                lua_pushinteger(L, isDirectory.boolValue ? 1 : 0); lua_setfield(L, -2, "type")
                lua_pushinteger(L, lua_Integer(isDirectory.boolValue ? 0 : (size ?? 0))); lua_setfield(L, -2, "size")
                lua_rawseti(L, -2, lua_Integer(i + 1))
            }
            return 1
        }
        // P.load_path(boardPath) → chunk, nil when there is no such file, or nil, message. EC618
        // bytecode (32-bit layout) is turned into host bytecode as for /luadb.
        r.add("load_path") { L in
            let host = RuntimeHost.from(L)
            guard let path = LuaStack.string(L, 1), case .success(let p) = host.hostPath(path, mode: "r") else {
                lua_pushnil(L); return 1
            }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: p, isDirectory: &isDirectory), !isDirectory.boolValue,
                  let data = FileManager.default.contents(atPath: p) else { lua_pushnil(L); return 1 }
            var bytes = [UInt8](data)
            if bytes.first == 0x1B {
                do { bytes = try EC618Bytecode.toHost(bytes, file: path) }
                catch { lua_pushnil(L); LuaStack.push(L, "\(path): \(error)"); return 2 }
            }
            if bytes.isEmpty { bytes = [0x20] }
            let chunkName = "@" + path
            let status = bytes.withUnsafeBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                    luaL_loadbufferx(L, $0, buffer.count, chunkName, "bt")
                }
            }
            if status != LUA_OK { lua_pushnil(L); lua_rotate(L, -2, 1); return 2 }
            return 1
        }
    }
}
