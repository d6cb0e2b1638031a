"""Two approvers press "approve" at the same moment: exactly one publishes, one Alert is recorded,
the other gets a clear error. Real threads on real connections (SQLite serialises writers with
IMMEDIATE transactions; PostgreSQL re-checks the conditional UPDATE after the first commits)."""

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from kurashi.core.models import User
from kurashi.core.services import load_municipalities
from kurashi.modules.disaster.models import Alert, EvacuationOrder
from kurashi.modules.disaster.services import evacuation as services
from kurashi.modules.disaster.tests.evacuation.conftest import APPROVE, DRAFT, content
from kurashi.testing import make_member, make_organisation, make_user


@pytest.fixture
def _reload_municipalities(django_db_blocker: Any) -> Iterator[None]:
    """Set up before transactional_db, so torn down after its flush: the flush empties every
    table, and every other test relies on the 20 municipalities."""
    yield
    with django_db_blocker.unblock():
        load_municipalities()


@pytest.fixture
def committed_db(_reload_municipalities: None, transactional_db: None) -> None:
    """Committed rows: the approvers' threads use their own connections and must see them."""


def test_two_simultaneous_approvals_publish_exactly_once(committed_db: None) -> None:
    saga = make_organisation(municipality_code="412015", slug="municipality-412015")
    drafter = make_member(saga, DRAFT, user=make_user("race-drafter"))
    approvers: list[User] = [
        make_member(saga, APPROVE, user=make_user(f"race-approver-{n}")) for n in range(2)
    ]
    order = services.draft_evacuation_order(actor=drafter, content=content())
    services.submit_evacuation_order(actor=drafter, order=order)

    barrier = threading.Barrier(len(approvers))
    outcomes: dict[str, str] = {}

    def approve(approver: User) -> None:
        stale = EvacuationOrder.objects.get(pk=order.pk)  # both see "pending"
        barrier.wait(timeout=10)
        try:
            services.approve_evacuation_order(actor=approver, order=stale)
            outcomes[approver.username] = "published"
        except services.EvacuationOrderError:
            outcomes[approver.username] = "refused"
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(a,)) for a in approvers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes.values()) == ["published", "refused"]
    winner = next(name for name, outcome in outcomes.items() if outcome == "published")
    order.refresh_from_db()
    assert order.state == EvacuationOrder.State.PUBLISHED
    assert order.approved_by is not None
    assert order.approved_by.username == winner
    assert Alert.objects.filter(evacuation_order=order).count() == 1
