"""tests/test_worker.py on a Redis Cluster (see conftest.py)."""
from tests.test_worker import *  # noqa: F401,F403
