"""The `yiwang` console script.

  yiwang demo [--reset] [--port N] [--no-serve]   migrate, build 示范市, serve http://127.0.0.1:N
  yiwang serve [--port N] [--workers N]            serve the platform (gunicorn)
  yiwang bench NAME [--database postgres]          run a benchmark, print one JSON object
  yiwang ledger audit|publish                      the transparency log (see docs/modules/ledger.md)
  yiwang events --once|--loop                      dispatch domain events and webhook deliveries
  yiwang verify FILE --policy POLICY               check a proof bundle offline (no database)
  yiwang manage ARGS...                            any Django management command
Every command uses the same data folder: $YIWANG_HOME (default ~/.yiwang).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.settings")
    import django

    django.setup()


def _serve(port: int, workers: int, threads: int = 4) -> None:
    from gunicorn.app.base import BaseApplication

    from yiwang.wsgi import application

    class _App(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"127.0.0.1:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("accesslog", None)
            self.cfg.set("timeout", 120)

        def load(self) -> Any:
            return application

    _App().run()


def cmd_demo(args: argparse.Namespace) -> int:
    from django.conf import settings

    if args.reset:
        db_name = str(settings.DATABASES["default"]["NAME"])
        if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(db_name + suffix):
                    os.remove(db_name + suffix)
        else:
            from django.core.management import call_command

            call_command("flush", interactive=False, verbosity=0)
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    from yiwang.demo.build import build_demo, demo_is_built
    from yiwang.demo.personas import PERSONAS

    if demo_is_built():
        print("示范市数据已存在，直接启动（使用 --reset 重建）。")
    else:
        print("正在建设示范市演示数据……")
        summary = build_demo()
        print("完成：" + "，".join(f"{k} {v}" for k, v in summary.items()))
    print(f"\n一网已启动： http://127.0.0.1:{args.port}/")
    print("演示登录（登录页可一键登录；密码均为 yiwang-demo-2026）：")
    for p in PERSONAS:
        print(f"  {p['name']:<6} {p['role']:<18} 账号 {p['username']}")
    print(f"数据目录：{settings.YIWANG_HOME}\n")
    sys.stdout.flush()
    if not args.no_serve:
        _serve(args.port, args.workers)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    _serve(args.port, args.workers)
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from yiwang.bench import run_bench

    return run_bench(args.name, database=args.database, options=args.options)


# Management commands that are also top-level `yiwang` commands (e.g. `yiwang ledger audit`).
PASSTHROUGH = ("ledger", "events", "catalog_import", "exchange_import", "exchange_escalate", "cases_escalate")


def cmd_verify(args: argparse.Namespace) -> int:
    """Offline: nothing but the bundle and the trusted keys (no database, no network, no Django)."""
    from pathlib import Path

    from yiwang.ledger.bundle import verify_bundle

    try:
        bundle = Path(args.file).read_bytes()
        policy = Path(args.policy).read_text(encoding="utf-8")
    except OSError as exc:
        print(f"无法读取文件：{exc}", file=sys.stderr)
        return 2
    result = verify_bundle(bundle, policy)
    if result.ok:
        print(f"验证通过：{result.origin} 第 {result.index} 条，树大小 {result.size}，联署：{', '.join(result.cosigners)}")
        return 0
    print("验证未通过：")
    for reason in result.reasons:
        print(f"  - {reason}")
    return 1


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("manage", *PASSTHROUGH):
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.settings")
        from django.core.management import execute_from_command_line

        rest = argv[1:] if argv[0] == "manage" else argv
        execute_from_command_line(["yiwang manage", *rest])
        return 0
    parser = argparse.ArgumentParser(prog="yiwang", description="一网 数字政府平台")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="建设示范市并启动")
    demo.add_argument("--reset", action="store_true", help="删除现有数据并重建")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--workers", type=int, default=2)
    demo.add_argument("--no-serve", action="store_true", help="只建数据，不启动服务")
    demo.set_defaults(func=cmd_demo)
    serve = sub.add_parser("serve", help="启动服务")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=2)
    serve.set_defaults(func=cmd_serve)
    bench = sub.add_parser("bench", help="运行基准测试，输出 JSON")
    bench.add_argument("name")
    bench.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    bench.add_argument("options", nargs="*", help="key=value options for the benchmark")
    bench.set_defaults(func=cmd_bench)
    verify = sub.add_parser("verify", help="离线验证证明文件（证照或账本条目）")
    verify.add_argument("file", help="证明文件（/ledger/<账本>/bundle/<序号> 下载）")
    verify.add_argument("--policy", required=True, help="信任策略文件（/ledger/policy 下载）：账本与见证方公钥")
    verify.set_defaults(func=cmd_verify)
    args, extra = parser.parse_known_args(argv)
    if extra and args.command == "bench" and all("=" in item for item in extra):
        args.options = [*args.options, *extra]  # key=value options may follow --database
    elif extra:
        parser.error("无法识别的参数：" + " ".join(extra))
    if args.command == "bench" and args.database == "postgres" and not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = "postgres://yiwang:yiwang@127.0.0.1:5432/yiwang_bench"
    if args.command != "verify":
        _setup_django()
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
