/// Scripts for the round-trip tests. Every float constant here is exactly representable in
/// binary32 and every integer constant fits int32, so the EC618 form must carry the very same
/// values and the host must print the very same output.
enum RoundTripCorpus {
    static func longString(_ n: Int, _ seed: Character) -> String {
        String((0..<n).map { i in i % 61 == 60 ? "-" : seed })
    }

    static let scripts: [(name: String, source: String)] = [
        ("long_strings.lua", """
            -- lengths around the 0xFF boundary of the string length byte (size = length + 1)
            local s253 = "\(longString(253, "a"))"
            local s254 = "\(longString(254, "b"))"
            local s255 = "\(longString(255, "c"))"
            local s1000 = "\(longString(1000, "d"))"
            local s70000 = "\(longString(70000, "e"))"
            for _, s in ipairs({s253, s254, s255, s1000, s70000}) do
              print(#s, s:sub(1, 3), s:sub(-3), select(2, s:gsub("-", "")))
            end
            local \(longString(300, "v").replacingOccurrences(of: "-", with: "_")) = 7
            print(\(longString(300, "v").replacingOccurrences(of: "-", with: "_")) * 6)
            print([[
            a long
            bracket string]])
            """),
        ("closures.lua", """
            local function counter(start)
              local n = start
              return function(step) n = n + (step or 1); return n end, function() return n end
            end
            local inc, get = counter(10)
            inc(); inc(5)
            print(get())
            local fs = {}
            for i = 1, 3 do fs[i] = function() return i * 100 end end
            print(fs[1](), fs[2](), fs[3]())
            local function outer()
              local a = 1
              local function middle()
                local b = 2
                local function inner() a = a + b; return a end
                return inner
              end
              return middle()
            end
            local f = outer()
            print(f(), f(), f())
            local t = setmetatable({}, {__index = function(_, k) return k .. "!" end})
            print(t.x, t.yz)
            local co = coroutine.wrap(function(x) local y = coroutine.yield(x * 2); print("got", y) end)
            print(co(21)); co("back")
            """),
        ("varargs.lua", """
            local function count(...) return select('#', ...) end
            print(count(), count(nil), count(nil, nil), count(1, nil, 3))
            local function pass(...) return ... end
            print(pass(1, "two", 3.5, nil, true))
            local function sum(...)
              local s = 0
              for _, v in ipairs({...}) do s = s + v end
              return s
            end
            print(sum(1, 2, 3, 4.5))
            local packed = table.pack(pass(false, nil, "x"))
            print(packed.n, packed[1], packed[2], packed[3])
            print(string.format("%d|%5.1f|%s|%q", 42, 2.25, "s", "q\\n"))
            """),
        ("numbers.lua", """
            local maxi, mini = 2147483647, -2147483648
            print(maxi, mini, maxi - 1, mini + 1, -1, 0)
            print(math.type(maxi), math.type(mini), math.type(1.0))
            print(0x7fffffff, 0x10, 255 // 7, 255 % 7, -7 // 2, 7 & 3, 5 | 8, 6 ~ 3, 1 << 30, 256 >> 4, ~0)
            print(0.5, -0.5, 1.0, -0.0, 0.25 + 0.5, 16777216.0, 16777215.0, 2^24)
            print(3.4028234663852886e38, -3.4028234663852886e38)
            print(1.1754943508222875e-38, 1.401298464324817e-45)
            print(1/0, -1/0, 1e300 * 1e300)
            print(7 / 2, 3 % -2.0, 2^10, 1e10)
            for x = 0, 2, 0.5 do io.write(x, " ") end print()
            print(true, false, nil, not nil)
            """),
        ("goto.lua", """
            for i = 1, 5 do
              if i % 2 == 0 then goto continue end
              print("odd", i)
              ::continue::
            end
            do
              local n = 0
              ::again::
              n = n + 1
              if n < 4 then goto again end
              print("n", n)
            end
            for i = 1, 3 do
              for j = 1, 3 do
                if j > i then goto next_i end
                io.write(i, ":", j, " ")
              end
              ::next_i::
            end
            print()
            """),
        ("many_constants.lua", """
            -- more than 256 constants: RK operands then address registers, LOADK wide indexes
            local t = {\((0..<300).map { "k\($0) = \($0 * 3 + 1)" }.joined(separator: ", "))}
            local total = 0
            for i = 0, 299 do total = total + t["k" .. i] end
            print(total, t.k299, t.k0)
            print(t.k150 + 1.5, t.k257 == 772)
            local u = {"s1", "s2", 1.25, 2.5, -7, true}
            print(#u, u[1] .. u[2], u[3] * u[4], u[5] // 2)
            """),
    ]
}
