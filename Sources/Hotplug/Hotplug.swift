// Module Hotplug: see DESIGN.md layer table.
