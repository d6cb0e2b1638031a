"""Two hospitals accept the same parallel request at the same moment: exactly one wins.

Real threads, each with its own database connection, on the test database file (transactional
test: nothing is wrapped in a test transaction, every service commits for real)."""

import threading

import pytest
from django.db import connection

from kurashi.modules.ems import services
from kurashi.modules.ems.models import Case, Inquiry
from kurashi.modules.ems.tests.conftest import World
from kurashi.modules.ems.tests.factories import make_case

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def accept_all_at_once(inquiries: list[Inquiry], staff: dict[int, object]) -> list[str]:
    barrier = threading.Barrier(len(inquiries))
    outcomes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def accept(inquiry: Inquiry) -> None:
        try:
            barrier.wait(timeout=10)
            answer = services.answer_request(
                actor=staff[inquiry.hospital_id],
                inquiry=inquiry,
                accept=True,  # type: ignore[arg-type]
            )
            with lock:
                outcomes.append(answer.outcome)
        except BaseException as error:  # reported below, never swallowed
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(i,)) for i in inquiries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return sorted(outcomes)


@pytest.mark.parametrize("round_number", range(5))
def test_two_simultaneous_accepts_have_exactly_one_winner(world: World, round_number: int) -> None:
    case = make_case(world.hq)
    sent = services.send_parallel_request(
        actor=world.crew,
        case=case,
        client_key=f"race-{round_number}",
        targets=[(world.near, "14"), (world.far, "14")],
    )
    staff = {world.near.pk: world.near_staff, world.far.pk: world.far_staff}

    outcomes = accept_all_at_once(
        list(
            Inquiry.objects.filter(pk__in=[i.pk for i in sent]).select_related(
                "case", "hospital__organisation"
            )
        ),
        staff,
    )

    assert outcomes[0] == "accepted"
    assert outcomes[1] in {"already_answered", "too_late"}
    case.refresh_from_db()
    results = sorted(Inquiry.objects.filter(case=case).values_list("result", flat=True))
    assert results == ["accepted", "withdrawn"]
    winner = Inquiry.objects.get(case=case, result="accepted")
    assert (case.state, case.destination_id) == (Case.State.DECIDED, winner.hospital_id)
