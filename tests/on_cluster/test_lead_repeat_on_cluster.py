"""tests/test_lead_repeat.py on a Redis Cluster (see conftest.py)."""
from tests.test_lead_repeat import *  # noqa: F401,F403
