"""The store, lead, worker, conversation, webhook, backup and token tests again, on a real local Redis Cluster.

Each module here imports a test module whole; this directory's ``redis_url`` points every
Redis fixture at one cluster (3 masters + 3 replicas) started for the run. Tests that never
touch the shared Redis (their own throwaway servers, pure functions) are left to the main run.
"""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def redis_url(redis_cluster):
    return redis_cluster.url


def pytest_collection_modifyitems(config, items):
    here = __name__.rpartition(".")[0].replace(".", "/")
    for item in list(items):
        if here in item.nodeid and "redis_url" not in getattr(item, "fixturenames", ()):
            items.remove(item)
