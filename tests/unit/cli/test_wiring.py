"""The composition root's stand-in service for the TUI."""

from __future__ import annotations


def test_a_deferred_service_is_built_once_whoever_asks_first(tmp_path):
    """The warm-up thread and a key on the UI thread may both reach for the service at once."""
    import threading
    import time
    from types import SimpleNamespace

    from scenario_tui.cli.wiring import DeferredService

    builds: list[str] = []

    def slow_build():
        builds.append(threading.current_thread().name)
        time.sleep(0.05)
        return SimpleNamespace(profile="p", refresh=lambda upload_id: f"refreshed {upload_id}")

    store = object()
    service = DeferredService(store, slow_build)
    assert service.store is store and not service.built and builds == []
    seen: list[str] = []
    threads = [threading.Thread(target=lambda: seen.append(service.profile)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == ["p"] * 4 and len(builds) == 1 and service.built
    assert service.refresh("up_1") == "refreshed up_1"
