"""tests/test_backup.py with the cluster as the source (see conftest.py)."""
from tests.test_backup import *  # noqa: F401,F403
