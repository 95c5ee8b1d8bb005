"""What the demos (``demo``, ``demo --team``) put in their store: the fake's seeded uploads,
pending ones on top, with a ticket note on a few."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scenario_tui.fake.scenario import FakeScenario
    from scenario_tui.store.protocol import StoreProtocol

DEMO_NOTES: dict[str, str] = {
    "up_demo_pending_1": "ticket #4711: customer says stuck since Friday",
    "up_demo_badfile_1": "ticket #4720: scanned TIFF, may be damaged",
    "up_demo_failed_1": "ticket #4698: re-upload requested",
}


def seed_demo_store(store: StoreProtocol, fake: FakeScenario) -> None:
    """Put the fake's seeded uploads in the demo's ``store`` (pending ones on top), with the
    demo's notes."""
    store.add(list(reversed(fake.seeded_ids)), note="")
    for upload_id, note in DEMO_NOTES.items():
        if store.contains(upload_id):
            store.set_note(upload_id, note)
