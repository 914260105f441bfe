"""The sales list costs as many SQL statements for 20 sales as for 5: outlets, lines and
voided sales load through DataLoaders."""

from __future__ import annotations

from pos_kit import Resort
from statement_count import counting

PAGE = (
    "query($first: Int!) { posSales(first: $first) { edges { node { saleId voidsSaleId"
    " outlet { code } lines { description quantity } total { amount } } } } }"
)


async def test_the_sales_page_takes_the_same_statements_for_more_sales(resort: Resort) -> None:
    for n in range(20):
        await resort.sell(
            {"outlet": "REST" if n % 2 else "GIFT", "saleId": f"S-{n}", "payment": "CASH",
             "lines": [{"description": "Coffee", "quantity": 1, "unitPrice": "3.00"},
                       {"description": "Cake", "quantity": 1, "unitPrice": "4.00"}]}
        )  # fmt: skip
    await resort.send("voidPosSale", {"outlet": "REST", "saleId": "V-1", "voids": "S-19"})

    async def statements(first: int) -> int:
        with counting(resort.kit) as log:
            data = await resort.hotel.query(PAGE, {"first": first})
        assert len(data["posSales"]["edges"]) == first
        return len(log.statements)

    await statements(1)  # the schema is built; not counted
    assert await statements(5) == await statements(20)
