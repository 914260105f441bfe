"""Domain rules of pms_housekeeping, pure of GraphQL: the only code that writes its tables."""
