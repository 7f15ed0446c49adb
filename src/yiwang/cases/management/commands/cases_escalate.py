"""`yiwang manage cases_escalate [--today YYYY-MM-DD]`: 超期督办 — every case still in progress past its
promised date goes to its department's 科室负责人 (history, event, notification). Idempotent: a case
is escalated once. Run it daily from cron/systemd, or from the department page's button."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from yiwang.cases import services
from yiwang.kernel.context import Actor, acting_as


class Command(BaseCommand):
    help = "超期督办：将超过承诺办结日期仍在办理的办件提交科室负责人督办"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--today", default="", help="按此日期判断是否超期（YYYY-MM-DD，演示与核对用）")

    def handle(self, *args: Any, **options: Any) -> None:
        today = None
        if options["today"]:
            try:
                today = date.fromisoformat(str(options["today"]))
            except ValueError:
                raise CommandError("--today 应为日期，如 2026-12-01") from None
        with acting_as(Actor(label="超期督办定时任务")):
            count = services.escalate_overdue(today=today)
        self.stdout.write(f"本次提交超期督办 {count} 件")
