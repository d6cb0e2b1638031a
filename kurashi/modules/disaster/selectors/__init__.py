"""Reads of the disaster module, one file per area."""
