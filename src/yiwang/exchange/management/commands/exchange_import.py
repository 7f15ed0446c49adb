"""`yiwang exchange_import RESOURCE FILE`: load a provider's CSV/Excel file into a base registry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from yiwang.exchange import services
from yiwang.kernel.context import Actor, acting_as
from yiwang.kernel.errors import DomainError


class Command(BaseCommand):
    help = "把部门提供的 CSV/Excel 文件导入数据共享基础库（逐行整体导入或整体拒绝）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("resource", help="资源代码，如 A0101002")
        parser.add_argument("file", help="CSV（UTF-8 或 GB18030）或 .xlsx 文件")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        with acting_as(Actor(label="文件导入命令")):
            try:
                report = services.registry_import(resource_code=options["resource"], filename=path.name,
                                                  content=path.read_bytes())
            except DomainError as exc:
                raise CommandError(exc.message) from None
        self.stdout.write(f"资源 {report.resource}：导入 {report.imported} 行，拒绝 {len(report.rejected)} 行")
        for number, reason in report.rejected:
            self.stdout.write(f"  第 {number} 行：{reason}")
