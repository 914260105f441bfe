"""Settings from the environment, with embedded defaults and production guards."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import ConfigError, load_settings


def test_defaults_work_on_a_fresh_machine(tmp_path: Path) -> None:
    settings = load_settings({"CONCIERGE_DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'concierge.sqlite3'}"
    assert settings.production is False
    assert settings.secret_is_generated and len(settings.secret_key) >= 32
    # The generated development secret is kept, so tokens survive a restart.
    assert load_settings({"CONCIERGE_DATA_DIR": str(tmp_path)}).secret_key == settings.secret_key
    assert (tmp_path / "dev-secret-key").stat().st_mode & 0o077 == 0


def test_environment_overrides(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "CONCIERGE_DATA_DIR": str(tmp_path),
            "CONCIERGE_DATABASE_URL": "postgresql+asyncpg://u@db/concierge",
            "CONCIERGE_SECRET_KEY": "s" * 40,
            "CONCIERGE_CORS_ORIGINS": "https://shop.example, https://desk.example",
            "CONCIERGE_GRAPHQL_MAX_DEPTH": "7",
            "CONCIERGE_GRAPHQL_MAX_PAGE_SIZE": "50",
            "CONCIERGE_GRAPHQL_MAX_COST": "5000",
            "CONCIERGE_GRAPHQL_MAX_FIELD_REPEATS": "10",
            "CONCIERGE_MAX_BODY_BYTES": "65536",
            "CONCIERGE_BODY_TIMEOUT_SECONDS": "3",
            "CONCIERGE_PRODUCTION": "true",
        }
    )
    assert settings.database_url.startswith("postgresql+asyncpg://")
    assert settings.cors_origins == ("https://shop.example", "https://desk.example")
    assert settings.limits.max_depth == 7 and settings.limits.max_page_size == 50
    assert (settings.limits.max_cost, settings.limits.max_field_repeats) == (5000, 10)
    assert (settings.max_body_bytes, settings.body_timeout_seconds) == (65536, 3)
    assert settings.production and not settings.secret_is_generated
    settings.check_production_ready()  # a real secret: no error


@pytest.mark.parametrize(
    ("name", "value"),
    [("CONCIERGE_GRAPHQL_MAX_DEPTH", "deep"), ("CONCIERGE_GRAPHQL_MAX_DEPTH", "0"),
     ("CONCIERGE_PRODUCTION", "perhaps")],
)  # fmt: skip
def test_bad_values_name_the_variable(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_settings({"CONCIERGE_DATA_DIR": str(tmp_path), name: value})


def test_production_refuses_the_development_secret(tmp_path: Path) -> None:
    settings = load_settings({"CONCIERGE_DATA_DIR": str(tmp_path), "CONCIERGE_PRODUCTION": "1"})
    with pytest.raises(ConfigError, match="CONCIERGE_SECRET_KEY"):
        settings.check_production_ready()


def test_production_refuses_a_short_secret(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "CONCIERGE_DATA_DIR": str(tmp_path),
            "CONCIERGE_PRODUCTION": "1",
            "CONCIERGE_SECRET_KEY": "short",
        }
    )
    with pytest.raises(ConfigError, match="shorter"):
        settings.check_production_ready()
