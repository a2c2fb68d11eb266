"""Load benchmarks for the marketplace (``make bench``); see bench/README.md."""
