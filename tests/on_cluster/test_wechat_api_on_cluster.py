"""tests/test_wechat_api.py on a Redis Cluster: the shared access token and its lock (see conftest.py)."""
from tests.test_wechat_api import *  # noqa: F401,F403
