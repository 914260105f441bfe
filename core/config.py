"""Settings read from environment variables, with embedded defaults.

Every setting has a default that works on a fresh machine (a SQLite file under
``./var/``, a development secret generated once and kept there), so
``concierge serve`` needs no configuration. Production mode refuses those
development defaults where they would be unsafe.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

ENV_PREFIX = "CONCIERGE_"
DEV_SECRET_FILE = "dev-secret-key"
# A secret shorter than this cannot be a real production secret.
MIN_SECRET_LENGTH = 32


class ConfigError(Exception):
    """A setting is missing or unsafe; the message says which and why."""


@dataclass(frozen=True)
class GraphQLLimits:
    """Bounds on one GraphQL request, enforced before execution."""

    max_depth: int = 12
    max_tokens: int = 5_000
    max_aliases: int = 30
    # The estimated fields a response resolves, pages multiplied (core/graphql/cost.py).
    max_cost: int = 20_000
    # Selections of one response name in one selection set (fragments spread in).
    max_field_repeats: int = 50
    max_page_size: int = 100
    default_page_size: int = 20
    # Several operations in one HTTP request (a JSON array) only when enabled.
    batching: bool = False


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    secret_is_generated: bool = False
    production: bool = False
    cors_origins: tuple[str, ...] = ()
    data_dir: Path = Path("var")
    limits: GraphQLLimits = field(default_factory=GraphQLLimits)
    access_token_ttl_seconds: int = 900
    # Periodic jobs run inside `concierge serve` unless turned off (for
    # deployments that run them from cron with `concierge jobs run`).
    run_jobs: bool = True
    log_level: str = "INFO"
    # How often an open WebSocket's credential is checked again (logout, revoked key).
    ws_recheck_seconds: float = 30.0
    # Every HTTP request body: at most this many bytes (413), arriving within this
    # many seconds of the request (408), so no client holds memory or a worker.
    max_body_bytes: int = 1_048_576
    body_timeout_seconds: int = 10

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    def check_production_ready(self) -> None:
        """Raise ConfigError when production mode would run on development defaults."""
        if not self.production:
            return
        if self.secret_is_generated:
            raise ConfigError(
                "CONCIERGE_SECRET_KEY is not set: production mode refuses the generated "
                "development secret. Set CONCIERGE_SECRET_KEY to a random string of at least "
                f"{MIN_SECRET_LENGTH} characters."
            )
        if len(self.secret_key) < MIN_SECRET_LENGTH:
            raise ConfigError(
                f"CONCIERGE_SECRET_KEY is shorter than {MIN_SECRET_LENGTH} characters."
            )


def _env(name: str, environ: dict[str, str]) -> str | None:
    value = environ.get(ENV_PREFIX + name)
    return value if value not in (None, "") else None


def _env_bool(name: str, default: bool, environ: dict[str, str]) -> bool:
    value = _env(name, environ)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{ENV_PREFIX}{name} must be true or false, not {value!r}")


def _env_int(name: str, default: int, environ: dict[str, str]) -> int:
    value = _env(name, environ)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{ENV_PREFIX}{name} must be an integer, not {value!r}") from None
    if number <= 0:
        raise ConfigError(f"{ENV_PREFIX}{name} must be positive, not {number}")
    return number


def _development_secret(data_dir: Path) -> str:
    """The development secret: generated on first use and kept, so tokens survive restarts."""
    path = data_dir / DEV_SECRET_FILE
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.write_text(secret + "\n")
    path.chmod(0o600)
    return secret


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read settings from the environment (``CONCIERGE_*`` variables)."""
    env = dict(os.environ if environ is None else environ)
    data_dir = Path(_env("DATA_DIR", env) or "var")
    production = _env_bool("PRODUCTION", False, env)

    database_url = _env("DATABASE_URL", env)
    if database_url is None:
        database_url = f"sqlite+aiosqlite:///{data_dir / 'concierge.sqlite3'}"

    secret_key = _env("SECRET_KEY", env)
    secret_is_generated = secret_key is None
    if secret_key is None:
        # In production the generated secret is refused by check_production_ready;
        # it is still produced so that commands like `export-schema` work anywhere.
        secret_key = _development_secret(data_dir)

    cors = _env("CORS_ORIGINS", env)
    cors_origins = tuple(o.strip() for o in cors.split(",") if o.strip()) if cors else ()

    limits = GraphQLLimits(
        max_depth=_env_int("GRAPHQL_MAX_DEPTH", GraphQLLimits.max_depth, env),
        max_tokens=_env_int("GRAPHQL_MAX_TOKENS", GraphQLLimits.max_tokens, env),
        max_aliases=_env_int("GRAPHQL_MAX_ALIASES", GraphQLLimits.max_aliases, env),
        max_cost=_env_int("GRAPHQL_MAX_COST", GraphQLLimits.max_cost, env),
        max_field_repeats=_env_int(
            "GRAPHQL_MAX_FIELD_REPEATS", GraphQLLimits.max_field_repeats, env
        ),
        max_page_size=_env_int("GRAPHQL_MAX_PAGE_SIZE", GraphQLLimits.max_page_size, env),
        default_page_size=_env_int(
            "GRAPHQL_DEFAULT_PAGE_SIZE", GraphQLLimits.default_page_size, env
        ),
        batching=_env_bool("GRAPHQL_BATCHING", False, env),
    )
    return Settings(
        database_url=database_url,
        secret_key=secret_key,
        secret_is_generated=secret_is_generated,
        production=production,
        cors_origins=cors_origins,
        data_dir=data_dir,
        limits=limits,
        access_token_ttl_seconds=_env_int("ACCESS_TOKEN_TTL", 900, env),
        run_jobs=_env_bool("RUN_JOBS", True, env),
        log_level=(_env("LOG_LEVEL", env) or "INFO").upper(),
        ws_recheck_seconds=float(_env_int("WS_RECHECK_SECONDS", 30, env)),
        max_body_bytes=_env_int("MAX_BODY_BYTES", Settings.max_body_bytes, env),
        body_timeout_seconds=_env_int("BODY_TIMEOUT_SECONDS", Settings.body_timeout_seconds, env),
    )
