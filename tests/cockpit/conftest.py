"""The cockpit's figures come from the store's rollup tables: the service tests here run on both stores."""
from tests.pg_fixture import pg_cluster, pg_url, store_url  # noqa: F401 - fixtures
