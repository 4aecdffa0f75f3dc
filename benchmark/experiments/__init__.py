"""Experiments over worlds and strategies: the main run, replicates, calibration, sensitivity, the paper."""
