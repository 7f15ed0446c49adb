"""`yiwang manage calendar_seed [--replace]`: load holidays and 调休 days from chinese-calendar."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from yiwang.kernel import calendar


class Command(BaseCommand):
    help = "从 chinese-calendar 导入法定节假日和调休上班日，并报告缺少的年份"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--replace",
            action="store_true",
            help="按 chinese-calendar 更新来源为该包的已有记录（后台手工录入的记录不变）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        import chinese_calendar

        changed = calendar.seed_holidays_from_package(replace=bool(options["replace"]))
        years = sorted({d.year for d in chinese_calendar.holidays})
        self.stdout.write(
            f"chinese-calendar {getattr(chinese_calendar, '__version__', '?')}：覆盖 {years[0]}–{years[-1]} 年，"
            f"新增或更新 {changed} 条记录"
        )
        warning = calendar.missing_years_warning()
        if warning:
            self.stdout.write(self.style.WARNING(warning))
