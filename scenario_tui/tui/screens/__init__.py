"""Screens of the TUI: the main screen and the dialogs it opens.

Dialogs receive plain data and hand back a result with ``dismiss``; they never touch the
network or the store.
"""
