"""scenario-tui: a terminal app for the Scenario uploads API."""

__version__ = "0.1.0"
