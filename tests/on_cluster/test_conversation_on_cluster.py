"""tests/test_conversation.py on a Redis Cluster (see conftest.py)."""
from tests.test_conversation import *  # noqa: F401,F403
