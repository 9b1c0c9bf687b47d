"""The queue engine: pure rules (no I/O, no clock) for registration, check-in, ordering, dispatch and calls."""
