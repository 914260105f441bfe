# The core's test kit: a migrated database per test, the real app behind an httpx client.
pytest_plugins = ["core.testing"]
