"""`yiwang manage events --once | --loop`: the domain-event worker.

Each pass dispatches events left undispatched after commit (crash recovery) and delivers the
webhooks whose time has come, retrying failures with exponential backoff.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from yiwang.kernel import events


class Command(BaseCommand):
    help = "分发领域事件并投递到期的 Webhook（--once 一次，--loop 持续轮询）"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--once", action="store_true", help="处理一轮后退出（默认）")
        mode.add_argument("--loop", action="store_true", help="持续运行，每隔 --interval 秒处理一轮")
        parser.add_argument("--interval", type=float, default=5.0, help="轮询间隔（秒），默认 5")
        parser.add_argument("--max-passes", type=int, default=0, help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        interval = float(options["interval"])
        if interval <= 0:
            raise CommandError("--interval 必须大于 0")
        self.verbosity = int(options.get("verbosity", 1))
        self._looping = bool(options["loop"])
        if not self._looping:
            self._pass()
            return
        passes, limit = 0, int(options["max_passes"])
        try:
            while True:
                close_old_connections()
                try:
                    counts = self._pass()
                except Exception as exc:  # keep the worker alive; the next pass retries
                    self.stderr.write(f"事件处理失败：{type(exc).__name__}: {exc}")
                    counts = {}
                passes += 1
                if limit and passes >= limit:
                    return
                # Go straight on while there is a backlog; otherwise wait.
                if not any(counts.values()):
                    time.sleep(interval)
        except KeyboardInterrupt:
            self.stdout.write("已停止")

    def _pass(self) -> dict[str, int]:
        counts = events.run_once()
        if any(counts.values()) or not self._looping or int(self.verbosity) >= 2:
            self.stdout.write(json.dumps(counts, ensure_ascii=False))
        return counts
