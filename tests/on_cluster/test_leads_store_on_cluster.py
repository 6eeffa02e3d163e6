"""tests/test_leads_store.py on a Redis Cluster (see conftest.py)."""
from tests.test_leads_store import *  # noqa: F401,F403
