"""How many points money is worth: pure arithmetic, no database."""

from __future__ import annotations

from core.money import currency_exponent


def points_for(amount_minor: int, currency: str, per_unit: int) -> int:
    """``per_unit`` points per whole major unit of ``amount_minor`` (rounded down):
    12.99 EUR at 1 point per euro earns 12; 1,500 JPY at 1 per yen earns 1,500."""
    if amount_minor <= 0 or per_unit <= 0:
        return 0
    return amount_minor * per_unit // 10 ** currency_exponent(currency)
