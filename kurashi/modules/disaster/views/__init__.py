"""HTML views of the disaster module, one file per area."""
