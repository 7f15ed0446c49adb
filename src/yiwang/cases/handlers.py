"""In-process reactions to case events (after commit): results that become e-certificates."""

from __future__ import annotations


def connect() -> None:
    """Subscribe this app's handlers (called once from AppConfig.ready)."""
