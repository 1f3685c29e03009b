"""One run per connection: a second run is refused while the first holds the lock, on both stores."""

import pytest

from connector.errors import StoreBusyError
from connector.store.lock import connection_lock, run_locks


def test_second_run_of_same_connection_is_refused(engine):
    with (
        connection_lock(engine, "acme"),
        pytest.raises(StoreBusyError, match="acme"),
        connection_lock(engine, "acme"),
    ):
        pass


def test_runs_of_different_connections_proceed_together(engine):
    with connection_lock(engine, "acme"), connection_lock(engine, "globex"):
        pass


def test_lock_is_free_again_after_the_run(engine):
    with connection_lock(engine, "acme"):
        pass
    with connection_lock(engine, "acme"):
        pass


def test_several_locks_are_taken_together_and_all_released_when_one_is_busy(engine):
    with connection_lock(engine, "globex"):
        with pytest.raises(StoreBusyError, match="globex"), run_locks(engine, [("acme", False), ("globex", False)]):
            pass
        with connection_lock(engine, "acme"):  # taken before "globex" was refused, and let go again
            pass
    with run_locks(engine, [("acme", False), ("globex", True)]):
        with connection_lock(engine, "globex", shared=True):
            pass
        with pytest.raises(StoreBusyError, match="acme"), connection_lock(engine, "acme", shared=True):
            pass
    with connection_lock(engine, "acme"), connection_lock(engine, "globex"):
        pass
