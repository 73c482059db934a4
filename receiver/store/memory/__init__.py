"""The in-memory backend: the store, its log rings, expiring maps and time windows."""
