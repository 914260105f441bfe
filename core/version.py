"""The core's version: plugins declare the range they support (``Plugin.core_requires``).
Keep it equal to pyproject.toml's (a test checks)."""

__version__ = "0.1.0"
