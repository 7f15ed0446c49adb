"""`yiwang manage catalog_import FILE [--dry-run] [--effective-from YYYY-MM-DD] [--report out.csv]`"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from yiwang.catalog import services
from yiwang.kernel.context import Actor, acting_as
from yiwang.kernel.errors import DomainError


class Command(BaseCommand):
    help = "导入事项目录（本系统导出的 CSV/Excel，或广东政务服务网导出 CSV）；逐行原子导入，报告每一条被拒绝的行及原因"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入")
        parser.add_argument("--effective-from", type=date.fromisoformat, default=None, help="生效日期，默认今天")
        parser.add_argument("--report", type=Path, default=None, help="把拒绝明细写入此 CSV 文件")
        parser.add_argument("--quiet-rows", action="store_true", help="不在终端逐行列出被拒绝的行")

    def handle(self, *args: Any, **opts: Any) -> None:
        path: Path = opts["file"]
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        with acting_as(Actor(label="事项目录导入（命令行）")):
            try:
                report = services.import_file(data=path.read_bytes(), filename=path.name, dry_run=opts["dry_run"],
                                              effective_from=opts["effective_from"])
            except DomainError as exc:
                raise CommandError(exc.message) from None
        if not opts["quiet_rows"]:
            for r in report.rejections:
                self.stdout.write(f"第{r['row']}行 {r['code']} {r['name']}：{r['reason']}")
        if opts["report"]:
            with opts["report"].open("w", encoding="utf-8-sig", newline="") as f:
                w = csv.writer(f)
                w.writerow(["行号", "事项编码", "事项名称", "拒绝原因"])
                for r in report.rejections:
                    w.writerow([r["row"], r["code"], r["name"], r["reason"]])
        verb = "试运行" if report.dry_run else "导入完成"
        self.stdout.write(self.style.SUCCESS(
            f"{verb}（{report.layout}）：共{report.total}行，新增{report.created}，更新{report.updated}，"
            f"未变{report.unchanged}，拒绝{report.rejected}"))
