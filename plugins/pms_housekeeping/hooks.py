"""Hook implementations of pms_housekeeping (none yet)."""
