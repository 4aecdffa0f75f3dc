"""Matching strategies, evaluation, harm analysis, reports and the ``itin-bench`` CLI."""
