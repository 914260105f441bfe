"""loyalty: points that customers earn from paid orders and guests from hotel stays, and
spend at the till or the front desk. An example third-party Concierge plugin."""

from pathlib import Path

from core import Plugin

# models: importing the package puts the tables in Base.metadata (migrations, drift checks).
from loyalty import hooks, models  # noqa: F401

plugin = Plugin(
    name="loyalty",
    version="0.1.0",
    description="Loyalty points from paid orders and hotel stays, and their redemption.",
    hooks=hooks,
    migrations=Path(__file__).parent / "migrations",
    core_requires=">=0.1,<0.2",
)
