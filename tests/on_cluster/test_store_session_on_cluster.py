"""tests/test_store_session.py on a Redis Cluster (see conftest.py)."""
from tests.test_store_session import *  # noqa: F401,F403
