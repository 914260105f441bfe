"""Hook implementations of pos_bridge (none yet)."""
