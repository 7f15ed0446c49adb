"""The Merkle / checkpoint / witness / bundle core is pure Python: importing it loads no Django."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[3]


def test_core_imports_no_django():
    code = ("import sys; sys.path.insert(0, %r)\n"
            "import yiwang.ledger.merkle, yiwang.ledger.note, yiwang.ledger.witness, yiwang.ledger.bundle, "
            "yiwang.ledger.leaf\n"
            "assert 'django' not in sys.modules, [m for m in sys.modules if m.startswith('django')]\n") % str(SRC)
    subprocess.run([sys.executable, "-c", code], check=True)
