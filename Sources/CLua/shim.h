#pragma once
#include <lua5.3/lua.h>
#include <lua5.3/lualib.h>
#include <lua5.3/lauxlib.h>
// Macros Swift does not import.
static inline int shim_lua_pcall(lua_State *L, int nargs, int nresults, int msgh) {
    return lua_pcall(L, nargs, nresults, msgh);
}
static inline const char *shim_lua_tostring(lua_State *L, int idx) {
    return lua_tolstring(L, idx, NULL);
}
static inline void shim_lua_pop(lua_State *L, int n) { lua_settop(L, -(n)-1); }
static inline void shim_lua_newtable(lua_State *L) { lua_createtable(L, 0, 0); }
static inline int shim_lua_isnil(lua_State *L, int idx) { return lua_type(L, idx) == LUA_TNIL; }
static inline void shim_lua_pushcfunction(lua_State *L, lua_CFunction f) { lua_pushcclosure(L, f, 0); }
static inline int shim_lua_upvalueindex(int i) { return LUA_REGISTRYINDEX - i; }
static inline int shim_lua_yield(lua_State *L, int n) { return lua_yieldk(L, n, 0, NULL); }
static inline lua_Integer shim_lua_tointeger(lua_State *L, int idx) { return lua_tointegerx(L, idx, NULL); }
static inline lua_Number shim_lua_tonumber(lua_State *L, int idx) { return lua_tonumberx(L, idx, NULL); }
