"""Widgets of the scenario-tui app."""
