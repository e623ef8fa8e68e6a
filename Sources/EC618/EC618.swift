// Module EC618: see DESIGN.md layer table.
