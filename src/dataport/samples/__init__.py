"""Sample data that dataport generates itself, for the demo, tests and benchmarks."""
