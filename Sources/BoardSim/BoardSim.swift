// Module BoardSim: see DESIGN.md layer table.
