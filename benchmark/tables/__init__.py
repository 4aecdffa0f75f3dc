"""Your own tables: mapping and checks, and exporting a generated world as tables."""
