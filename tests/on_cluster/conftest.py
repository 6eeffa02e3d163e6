"""The store, lead, worker, conversation, webhook, backup and token tests again, on a real local Redis Cluster.

Each module here imports a test module whole; this directory's ``redis_url`` points every
Redis fixture at one cluster (3 masters + 3 replicas) started for the run. Tests that never
touch the shared Redis (their own throwaway servers, pure functions) are left to the main run.
"""
from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def redis_url(redis_cluster):
    return redis_cluster.url


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    left_out = [item for item in items
                if item.path.is_relative_to(here) and "redis_url" not in getattr(item, "fixturenames", ())]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if item not in left_out]
