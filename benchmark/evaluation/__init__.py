"""Judging one world: ground truth, metrics, outcomes, harm, disparities, aggregation, suppression."""
