"""Hook implementations of oms_inventory (none yet)."""
