"""Test-wide settings: each run gets its own data folder and a fast password hasher."""

import os
import tempfile

os.environ.setdefault("YIWANG_HOME", tempfile.mkdtemp(prefix="yiwang-test-"))
os.environ.setdefault("YIWANG_FAST_HASHER", "1")
