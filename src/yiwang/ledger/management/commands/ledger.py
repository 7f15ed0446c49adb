"""`yiwang manage ledger …` (the lead maps `yiwang ledger …` onto it):

  ledger audit [--json]                 recompute every tree from storage, check every checkpoint
  ledger publish [--log NAME] [--loop --interval S]
                                        sign checkpoints, collect witness cosignatures, publish on quorum
  ledger audit-digest [--date DAY]      anchor the digest of one day's audit log (default: yesterday)
  ledger bundle LOG INDEX [-o FILE]     write the offline proof bundle (.tlog-proof) of an entry
  ledger policy [-o FILE]               write the trust policy (keys and quorum) for offline checks
  ledger verify FILE --policy FILE      check a proof bundle offline
  ledger status                         logs, sizes, latest published checkpoints
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from yiwang.kernel.errors import DomainError


class Command(BaseCommand):
    help = "可信账本：审计、发布检查点、日志摘要上链、导出与离线验证证明"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        a = sub.add_parser("audit", help="由存储重新计算每棵树并核对每个检查点")
        a.add_argument("--json", action="store_true")
        p = sub.add_parser("publish", help="签署检查点、收集见证联署，达到法定数后发布")
        p.add_argument("--log", default="")
        p.add_argument("--loop", action="store_true", help="持续运行，每隔 --interval 秒发布一次（有新条目时）")
        p.add_argument("--interval", type=float, default=1.0)
        p.add_argument("--max-passes", type=int, default=0, help=argparse.SUPPRESS)
        d = sub.add_parser("audit-digest", help="把某日审计日志的摘要写入 audit 账本")
        d.add_argument("--date", default="")
        b = sub.add_parser("bundle", help="导出条目的离线证明（.tlog-proof）")
        b.add_argument("log")
        b.add_argument("index", type=int)
        b.add_argument("-o", "--output", default="")
        pol = sub.add_parser("policy", help="导出离线验证所需的信任策略")
        pol.add_argument("-o", "--output", default="")
        v = sub.add_parser("verify", help="离线验证证明文件")
        v.add_argument("file")
        v.add_argument("--policy", required=True)
        sub.add_parser("status", help="各账本的大小与最新检查点")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, "_" + options["action"].replace("-", "_"))(options)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None

    def _audit(self, options: dict[str, Any]) -> None:
        from yiwang.ledger.audit import audit_all

        reports = audit_all()
        if options["json"]:
            self.stdout.write(json.dumps([{"log": r.log, "ok": r.ok, "size": r.size, "rows": r.rows,
                                           "checkpoints": r.checkpoints, "problems": r.problems}
                                          for r in reports], ensure_ascii=False))
        else:
            for r in reports:
                state = "通过" if r.ok else "发现问题"
                self.stdout.write(f"{r.log}: {state}（{r.rows} 条，{r.checkpoints} 个检查点）")
                for problem in r.problems:
                    self.stdout.write(f"  - {problem}")
        bad = [r.log for r in reports if not r.ok]
        if bad:
            raise CommandError("账本审计未通过：" + ", ".join(bad))

    def _publish(self, options: dict[str, Any]) -> None:
        if not options["loop"]:
            self._publish_once(options)
            return
        import time

        from django.db import close_old_connections, connection

        if options["interval"] <= 0:
            raise CommandError("--interval 必须大于 0")
        passes = 0
        while True:
            if not connection.in_atomic_block:
                close_old_connections()
            try:
                self._publish_once(options)
            except CommandError as exc:  # no quorum this time: try again next round
                self.stderr.write(str(exc))
            passes += 1
            if options["max_passes"] and passes >= options["max_passes"]:
                return
            time.sleep(options["interval"])

    def _publish_once(self, options: dict[str, Any]) -> None:
        from yiwang.ledger.models import Log
        from yiwang.ledger.services import ledger_publish

        names = [options["log"]] if options["log"] else list(Log.objects.values_list("name", flat=True))
        failed = []
        for name in names:
            r = ledger_publish(name)
            state = "已发布" if r.published else "未达到见证法定数"
            self.stdout.write(f"{name}: 大小 {r.size}，{state}，联署 {len(r.cosigners)}：{', '.join(r.cosigners)}")
            for who, why in r.refusals.items():
                self.stdout.write(f"  - {who} 拒绝：{why}")
            if not r.published:
                failed.append(name)
        if failed:
            raise CommandError("未发布：" + ", ".join(failed))

    def _audit_digest(self, options: dict[str, Any]) -> None:
        from yiwang.ledger.services import append_audit_digest

        day = date.fromisoformat(options["date"]) if options["date"] else timezone.localdate() - timedelta(days=1)
        appended = append_audit_digest(day)
        if appended is None:
            self.stdout.write(f"{day} 的审计日志摘要已上链")
        else:
            self.stdout.write(f"{day} 的审计日志摘要已写入 audit 账本第 {appended.index} 条")

    def _write(self, data: bytes, output: str) -> None:
        if output:
            Path(output).write_bytes(data)
        else:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()

    def _bundle(self, options: dict[str, Any]) -> None:
        from yiwang.ledger.selectors import proof_bundle

        self._write(proof_bundle(options["log"], options["index"]).data, options["output"])

    def _policy(self, options: dict[str, Any]) -> None:
        from yiwang.ledger.selectors import trust_policy

        self._write(trust_policy().to_text().encode(), options["output"])

    def _verify(self, options: dict[str, Any]) -> None:
        from yiwang.ledger.bundle import verify_bundle

        result = verify_bundle(Path(options["file"]).read_bytes(), Path(options["policy"]).read_text())
        if result.ok:
            self.stdout.write(f"验证通过：{result.origin} 第 {result.index} 条，树大小 {result.size}，"
                              f"联署：{', '.join(result.cosigners)}")
            return
        for reason in result.reasons:
            self.stdout.write(f"  - {reason}")
        raise CommandError("验证未通过")

    def _status(self, options: dict[str, Any]) -> None:
        from yiwang.ledger.selectors import latest_checkpoint, logs

        for log in logs():
            cp = latest_checkpoint(log)
            published = f"最新发布 {cp.size}（{', '.join(cp.cosigners)}）" if cp else "尚无发布"
            self.stdout.write(f"{log.name} {log.origin} {log.hash} 条目 {log.size}，{published}")
