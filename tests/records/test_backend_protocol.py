"""The embedded backend implements every operation of RecordsBackend with the same parameters (an HIS adapter would too)."""
from __future__ import annotations

import inspect

from records.backend import Records, RecordsBackend


def test_sqlite_backend_has_every_protocol_operation_with_the_same_parameters():
    operations = [name for name, fn in vars(RecordsBackend).items() if callable(fn) and not name.startswith("_")]
    assert len(operations) >= 30
    for name in operations:
        impl = getattr(Records, name, None)
        assert impl is not None, f"Records lacks {name}"
        wanted = list(inspect.signature(getattr(RecordsBackend, name)).parameters)
        actual = list(inspect.signature(impl).parameters)
        assert actual[: len(wanted)] == wanted, (name, wanted, actual)
