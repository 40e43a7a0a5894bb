"""The monthly lending statistics (STAT-1 to STAT-9). Exchange rates live in common (shared reference data)."""
