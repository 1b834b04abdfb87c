"""looplet_tui: a terminal debugger for looplet agents."""
