"""``concierge plugins new NAME``: a plugin package that installs with pip and passes its
own test as generated. The files are the templates in this folder (``*.tmpl``), with
``{{name}}`` (the plugin's name, a Python identifier), ``{{Name}}`` (it in CamelCase, for
type names) and ``{{lowerCamel}}`` (for field names) filled in."""

from __future__ import annotations

import re
from pathlib import Path

from core.version import __version__

HERE = Path(__file__).parent
NAME = re.compile(r"^[a-z][a-z0-9_]{1,23}\Z")
# template file -> where it goes in the new package ({{name}} filled in)
FILES = {
    "pyproject.toml.tmpl": "pyproject.toml",
    "README.md.tmpl": "README.md",
    "init.py.tmpl": "{{name}}/__init__.py",
    "models.py.tmpl": "{{name}}/models.py",
    "service.py.tmpl": "{{name}}/service.py",
    "schema.py.tmpl": "{{name}}/schema.py",
    "hooks.py.tmpl": "{{name}}/hooks.py",
    "migrations_init.py.tmpl": "{{name}}/migrations/__init__.py",
    "migration.py.tmpl": "{{name}}/migrations/{{name}}_0001_items.py",
    "conftest.py.tmpl": "tests/conftest.py",
    "test_plugin.py.tmpl": "tests/test_{{name}}.py",
}


class ScaffoldError(Exception):
    pass


def _fill(text: str, name: str) -> str:
    camel = "".join(part.title() for part in name.split("_"))
    values = {
        "name": name, "Name": camel, "lowerCamel": camel[0].lower() + camel[1:],
        "core_version": __version__, "core_minor": ".".join(__version__.split(".")[:2]),
        "next_minor": f"{__version__.split('.')[0]}.{int(__version__.split('.')[1]) + 1}",
    }  # fmt: skip
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    return text


def new_plugin(name: str, where: Path) -> Path:
    """Write the package for plugin ``name`` into ``where/<name>``; its folder."""
    if not NAME.match(name):
        raise ScaffoldError(
            f"{name!r}: a plugin's name is 2 to 24 lower-case letters, digits or _, "
            "starting with a letter"
        )
    root = where / name
    if root.exists():
        raise ScaffoldError(f"{root} exists already")
    for template, target in FILES.items():
        path = root / _fill(target, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_fill((HERE / template).read_text(), name))
    return root
