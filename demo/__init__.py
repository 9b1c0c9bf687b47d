"""`make demo` and `make screenshots`: the whole system on the demo hospital with simulated hardware."""
