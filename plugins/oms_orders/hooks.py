"""Hook implementations of oms_orders (none yet)."""
