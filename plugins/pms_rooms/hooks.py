"""Hook implementations of pms_rooms (none yet)."""
