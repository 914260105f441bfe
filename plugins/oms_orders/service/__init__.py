"""The order service: the only code that writes oms_orders' tables.

One module per job: placement (placing orders), lifecycle (confirm, cancel,
expire, notes), fulfilment, payments, returns, customers; common.py holds
what they share (the status machine and the timeline). Other plugins use
these functions (their service API) or the hooks in hookspecs.py.
"""
