"""The link stage: a strategy's pairs for one dataset, written to a link folder."""
