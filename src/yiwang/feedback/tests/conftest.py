"""Feedback tests reuse the cases' small 示范市 (the `world` fixture) and its constructed history."""

from yiwang.cases.tests.conftest import _fresh_caches, world  # noqa: F401
