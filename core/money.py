"""Money in integer minor units with an ISO 4217 currency; never a float."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from core.errors import CoreErrorCode, DomainError

# Currencies whose minor unit is not 1/100 (ISO 4217). All others use two digits.
_EXPONENTS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}  # fmt: skip


# Far above any real price or order total, far below a 64-bit column's limit.
MAX_MINOR_UNITS = 10**15


def currency_exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


def minor_to_decimal(amount_minor: int, currency: str) -> Decimal:
    return Decimal(amount_minor).scaleb(-currency_exponent(currency))


def decimal_to_minor(
    amount: Decimal | str, currency: str, *, field: list[str] | None = None
) -> int:
    """Convert a decimal amount to minor units, refusing more precision than the currency has."""
    try:
        value = Decimal(amount)
    except (InvalidOperation, ValueError):
        raise DomainError(
            CoreErrorCode.INVALID_INPUT, f"{amount!r} is not a decimal amount", field=field
        ) from None
    if not value.is_finite():
        raise DomainError(CoreErrorCode.INVALID_INPUT, "amount must be finite", field=field)
    scaled = value.scaleb(currency_exponent(currency))
    if abs(scaled) > MAX_MINOR_UNITS:
        raise DomainError(CoreErrorCode.INVALID_INPUT, "the amount is too large", field=field)
    if scaled != scaled.to_integral_value():
        raise DomainError(
            CoreErrorCode.INVALID_INPUT,
            f"{currency} amounts have at most {currency_exponent(currency)} decimal places",
            field=field,
        )
    return int(scaled)
