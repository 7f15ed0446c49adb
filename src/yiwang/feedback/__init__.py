"""Planned module (see DESIGN.md §1); not yet built."""
