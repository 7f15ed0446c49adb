"""`yiwang manage exchange_escalate [--loop]`: send objections (数据使用异议) left unanswered past their
answer period (working days, kernel calendar) to the data bureau for supervision.

The kernel's event worker (`yiwang manage events`) has no periodic hook for other apps, so this runs
on its own: once a day from cron/systemd is enough (`--once`, the default), or `--loop` beside the
events worker. It is idempotent: an objection is escalated once.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.utils import timezone

from yiwang.exchange import services
from yiwang.kernel.context import Actor, acting_as


class Command(BaseCommand):
    help = "将逾期未答复的数据使用异议提交数据局督办（--once 一次，--loop 持续运行）"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--once", action="store_true", help="处理一轮后退出（默认）")
        mode.add_argument("--loop", action="store_true", help="持续运行，每隔 --interval 秒处理一轮")
        parser.add_argument("--interval", type=float, default=3600.0, help="轮询间隔（秒），默认 3600")
        parser.add_argument("--now", default="", help="按此时间判断（ISO 8601，演示与核对用）")
        parser.add_argument("--max-passes", type=int, default=0, help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        interval = float(options["interval"])
        if interval <= 0:
            raise CommandError("--interval 必须大于 0")
        now = self._parse_now(str(options["now"] or ""))
        passes, limit = 0, int(options["max_passes"])
        while True:
            close_old_connections()
            with acting_as(Actor(label="异议督办定时任务")):
                escalated = services.objections_escalate_due(now=now)
            for obj in escalated:
                self.stdout.write(f"已提交数据局督办：异议 {obj.pk}（答复期限 {obj.due_on:%Y-%m-%d}）"
                                  if obj.due_on else f"已提交数据局督办：异议 {obj.pk}")
            self.stdout.write(f"本轮提交督办 {len(escalated)} 件")
            passes += 1
            if not options["loop"] or (limit and passes >= limit):
                return
            time.sleep(interval)

    @staticmethod
    def _parse_now(raw: str) -> datetime | None:
        if not raw:
            return None
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            raise CommandError("--now 应为 ISO 8601 时间，如 2026-12-01T09:00") from None
        return value if timezone.is_aware(value) else timezone.make_aware(value)
