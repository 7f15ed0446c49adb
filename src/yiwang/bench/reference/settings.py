"""Settings of the bare reference project: stock Django, one middleware, one app, one model.

SQLite (in YIWANG_HOME) runs in WAL mode with IMMEDIATE transactions and persistent connections, as
a multi-process Django deployment on SQLite should (the platform's own settings do the same); with
DATABASE_URL naming PostgreSQL that database is used instead.
"""

import os
from pathlib import Path

import dj_database_url

SECRET_KEY = "bench-reference-not-secret"  # noqa: S105 - serves a throw-away benchmark only
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["yiwang.bench.reference"]
# CommonMiddleware sets Content-Length, so responses need no chunked encoding on keep-alive.
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "yiwang.bench.reference.urls"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

_home = Path(os.environ.get("YIWANG_HOME", "."))
_url = os.environ.get("DATABASE_URL", "")
if _url.startswith(("postgres://", "postgresql://")):
    DATABASES = {"default": dj_database_url.parse(_url, conn_max_age=60)}
else:
    DATABASES = {"default": {
        "ENGINE": "django.db.backends.sqlite3", "NAME": str(_home / "reference.sqlite3"), "CONN_MAX_AGE": 60,
        "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                    "transaction_mode": "IMMEDIATE", "timeout": 10},
    }}
