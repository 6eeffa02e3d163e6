"""tests/test_wechat_protocol.py on a Redis Cluster: retries answered once, simultaneous messages (see conftest.py)."""
from tests.test_wechat_protocol import *  # noqa: F401,F403
