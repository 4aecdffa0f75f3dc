"""Performance measurements (``itin-bench perf ...``): timings, peers, scaling."""
