"""What a reader sees: figures, the report, the terminal summary (read from stored files only)."""
