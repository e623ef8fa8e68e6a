// Module LuaImage: see DESIGN.md layer table.
