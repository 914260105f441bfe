"""Domain rules of pos_bridge, pure of GraphQL and HTTP: the only code that writes its tables."""
