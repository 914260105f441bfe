"""`concierge plugins new`: the package it writes installs with pip and passes its own
test unchanged (in a process of its own, beside the built-in plugins), and is lint-clean."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_a_scaffolded_plugin_installs_and_passes_its_test(tmp_path: Path) -> None:
    made = _run(sys.executable, "-m", "core.cli", "plugins", "new", "acme_loyalty",
                "--dir", str(tmp_path), cwd=tmp_path)  # fmt: skip
    assert made.returncode == 0, made.stderr
    package = tmp_path / "acme_loyalty"
    assert (package / "acme_loyalty" / "migrations" / "acme_loyalty_0001_items.py").exists()

    # Installed with pip, apart from this environment (its entry point would otherwise
    # join every other test's plugins).
    prefix = tmp_path / "prefix"
    installed = _run(sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                     "--prefix", str(prefix), str(package), cwd=tmp_path)  # fmt: skip
    assert installed.returncode == 0, installed.stdout + installed.stderr
    site = Path(sysconfig.get_path("purelib", vars={"base": str(prefix), "platbase": str(prefix)}))
    assert (site / "acme_loyalty" / "__init__.py").exists()

    env = {**os.environ, "PYTHONPATH": str(site)}
    tested = _run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                  cwd=package, env=env)  # fmt: skip
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "2 passed" in tested.stdout

    linted = _run(sys.executable, "-m", "ruff", "check", "--no-cache", ".", cwd=package)
    assert linted.returncode == 0, linted.stdout


def test_a_bad_name_or_an_existing_folder_is_refused(tmp_path: Path) -> None:
    bad = _run(sys.executable, "-m", "core.cli", "plugins", "new", "Acme-Loyalty",
               "--dir", str(tmp_path), cwd=tmp_path)  # fmt: skip
    assert bad.returncode != 0 and "lower-case" in bad.stderr
    (tmp_path / "taken").mkdir()
    taken = _run(sys.executable, "-m", "core.cli", "plugins", "new", "taken",
                 "--dir", str(tmp_path), cwd=tmp_path)  # fmt: skip
    assert taken.returncode != 0 and "exists" in taken.stderr
