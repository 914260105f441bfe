"""The GraphQL ``Money`` type: a decimal amount (as a string) and a currency."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from core.money import minor_to_decimal


@strawberry.type(description="An amount of money; stored as integer minor units.")
class Money:
    amount: Decimal = strawberry.field(description="Decimal amount, serialised as a string.")
    currency: str = strawberry.field(description="ISO 4217 currency code.")

    @classmethod
    def from_minor(cls, amount_minor: int, currency: str) -> Money:
        return cls(amount=minor_to_decimal(amount_minor, currency), currency=currency)


@strawberry.input(description="An amount of money in a currency.")
class MoneyInput:
    amount: Decimal
    currency: str
