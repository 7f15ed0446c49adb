"""Database backends of the platform (see ADR 0005)."""
