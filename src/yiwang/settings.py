"""Django settings. Everything comes from environment variables with safe demo defaults."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
YIWANG_HOME = Path(os.environ.get("YIWANG_HOME", Path.home() / ".yiwang")).expanduser()
YIWANG_HOME.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """A per-installation secret kept in the data folder, so no secret lives in git."""
    if key := os.environ.get("YIWANG_SECRET_KEY"):
        return key
    key_file = YIWANG_HOME / "secret_key"
    if not key_file.exists():
        import secrets

        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("YIWANG_DEBUG", False)
DEMO_MODE = _env_bool("YIWANG_DEMO", True)
ALLOWED_HOSTS = os.environ.get("YIWANG_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "yiwang.kernel",
    "yiwang.identity",  # before oauth2_provider: its Chinese consent page wins
    "oauth2_provider",
    "yiwang.catalog",
    "yiwang.ledger",
    "yiwang.exchange",
    "yiwang.certificates",
    "yiwang.cases",
    "yiwang.feedback",
    "yiwang.web",
    "yiwang.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "yiwang.kernel.middleware.RequestIdMiddleware",
    "yiwang.kernel.middleware.ApiErrorShapeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "yiwang.web.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "yiwang.identity.middleware.ActorMiddleware",
    "csp.middleware.CSPMiddleware",
    "yiwang.web.middleware.ElderlyModeMiddleware",
]

ROOT_URLCONF = "yiwang.urls"
WSGI_APPLICATION = "yiwang.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "yiwang.web.context.shell",
            ]
        },
    }
]

_default_db = f"sqlite:///{YIWANG_HOME / 'yiwang.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_db), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the single writer; IMMEDIATE avoids upgrade deadlocks; the
    # platform's backend queues writers on a file lock instead of SQLite's sleep-and-retry (ADR 0005).
    DATABASES["default"]["ENGINE"] = "yiwang.kernel.db.sqlite3"
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000; PRAGMA wal_autocheckpoint=8000;",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "identity.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if os.environ.get("YIWANG_FAST_HASHER"):
    # Tests and the demo seed create hundreds of accounts; a fast hash keeps them quick.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
# A 10 MB material sent as base64 in a JSON body is about 13.4 MB; larger bodies get a 413 error.
DATA_UPLOAD_MAX_MEMORY_SIZE = 16 * 1024 * 1024
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = YIWANG_HOME / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = YIWANG_HOME / "media"

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = _env_bool("YIWANG_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# --- yiwang specific -----------------------------------------------------------------------
# Field-encryption and blind-index keys (SM4-GCM + HMAC-SM3). Derived from the secret in the demo;
# production sets them explicitly (and rotates through the key id prefix stored with each value).
YIWANG_FIELD_KEY = os.environ.get("YIWANG_FIELD_KEY", "")
YIWANG_BLIND_INDEX_KEY = os.environ.get("YIWANG_BLIND_INDEX_KEY", "")
YIWANG_SMS_BACKEND = os.environ.get("YIWANG_SMS_BACKEND", "yiwang.identity.sms.LocalOutboxSms")
YIWANG_LOGIN_MAX_FAILURES = int(os.environ.get("YIWANG_LOGIN_MAX_FAILURES", "5"))
YIWANG_LOGIN_LOCK_SECONDS = int(os.environ.get("YIWANG_LOGIN_LOCK_SECONDS", "900"))
YIWANG_WEBHOOK_TIMEOUT_S = float(os.environ.get("YIWANG_WEBHOOK_TIMEOUT_S", "5"))

OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "PKCE_REQUIRED": True,
    "SCOPES": {
        "openid": "OpenID Connect 身份",
        "profile": "姓名等基本信息",
        "phone": "手机号（脱敏）",
        "catalog:read": "读取事项目录",
        "identity:read": "读取身份信息",
        "identity:lookup": "工作人员按身份证号查询自然人（留痕）",
        "cases:write": "提交办件",
        "exchange:lookup": "数据共享查询",
        "ledger:read": "读取可信账本",
        "certificates:issue": "部门业务系统签发电子证照（须为颁发机构的应用）",
    },
    "DEFAULT_SCOPES": ["openid"],
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    "OAUTH2_VALIDATOR_CLASS": "yiwang.identity.oidc.YiwangOIDCValidator",
    "SCOPES_BACKEND_CLASS": "yiwang.identity.oidc.ClientScopes",
    "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"],
    # Issuer: derived from the request (<site>/o) unless set, e.g. https://yiwang.example.gov.cn/o
    "OIDC_ISS_ENDPOINT": os.environ.get("YIWANG_OIDC_ISSUER", ""),
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "ID_TOKEN_EXPIRE_SECONDS": 3600,
    "REFRESH_TOKEN_EXPIRE_SECONDS": 30 * 86400,
    # RFC 9700 (OAuth 2.0 Security BCP): no implicit or password grant, PKCE with S256 only, no
    # tokens in query strings, access and refresh tokens stored only as SHA-256 checksums.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
}

def _oidc_rsa_key() -> str:
    """The OIDC signing key lives in the data folder; created on first start."""
    if key := os.environ.get("YIWANG_OIDC_RSA_KEY"):
        return key
    key_file = YIWANG_HOME / "oidc_rsa.pem"
    if not key_file.exists():
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        key_file.write_bytes(
            private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        key_file.chmod(0o600)
    return key_file.read_text()


OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"] = _oidc_rsa_key()
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("YIWANG_LOG_LEVEL", "WARNING")},
}

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # tests and a fresh checkout serve static files without collectstatic
