"""The viewer's widgets, one per module; the live debugger reuses them."""
