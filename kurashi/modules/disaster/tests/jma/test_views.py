"""Staff pages of the JMA intake, with the four actors."""

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from kurashi.core.models import Organisation, User
from kurashi.modules.disaster.models import Bulletin
from kurashi.modules.disaster.services.jma import ingest_document
from kurashi.modules.disaster.tests.jma.builders import fixture

pytestmark = pytest.mark.django_db

PAGES = ["disaster:jma_intake", "disaster:jma_exercise"]


@pytest.fixture
def viewer(karatsu: Organisation, member_factory: Callable[..., User]) -> User:
    return member_factory(karatsu, "disaster.view_intake")


@pytest.fixture
def stored() -> Bulletin:
    ingest_document(data=b"<broken", source="cli", source_name="broken.xml")
    ingest_document(data=fixture("official_32-39_12_07_250206_VTSE41.xml"), source="cli")
    result = ingest_document(data=fixture("official_16_02_02_220728_VXKOii.xml"), source="cli")
    assert result.bulletin is not None
    return result.bulletin


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_is_sent_to_log_in(client: Client, name: str) -> None:
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert "/login" in response["Location"]


@pytest.mark.parametrize("name", PAGES)
def test_a_resident_is_refused(client: Client, resident: User, name: str) -> None:
    client.force_login(resident)

    assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", PAGES)
def test_staff_without_the_permission_are_refused(
    client: Client, karatsu: Organisation, member_factory: Callable[..., User], name: str
) -> None:
    client.force_login(member_factory(karatsu))

    assert client.get(reverse(name)).status_code == 403


def test_the_intake_page_lists_bulletins_and_rejections_with_reasons(
    client: Client, viewer: User, stored: Bulletin
) -> None:
    client.force_login(viewer)

    response = client.get(reverse("disaster:jma_intake"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "六角川氾濫警戒情報" in page
    assert "大津波警報・津波警報・津波注意報" in page
    assert "broken.xml" in page
    assert "malformed" in page


def test_the_intake_page_filters_exercise_bulletins(
    client: Client, viewer: User, stored: Bulletin
) -> None:
    client.force_login(viewer)

    page = client.get(reverse("disaster:jma_intake") + "?show=actual").content.decode()

    assert "六角川氾濫警戒情報" in page
    assert "大津波警報・津波警報・津波注意報" not in page


def test_the_intake_page_has_an_empty_state(client: Client, viewer: User) -> None:
    client.force_login(viewer)

    page = client.get(reverse("disaster:jma_intake")).content.decode()

    assert "No bulletins yet." in page or "電文はまだありません。" in page


def test_the_exercise_page_shows_only_exercise_state(
    client: Client, viewer: User, stored: Bulletin
) -> None:
    client.force_login(viewer)

    response = client.get(reverse("disaster:jma_exercise"))

    assert response.status_code == 200
    rows = {
        municipality.code: [(w.kind_name, w.level) for w in warnings]
        for municipality, warnings in response.context["rows"]
    }
    assert rows["412015"] == [("津波警報", 4)]  # 佐賀市 (有明・八代海) in the exercise
    assert rows["412023"] == [("津波注意報", 2)]  # 唐津市 (佐賀県北部)
    assert rows["412066"] == []  # 武雄市: the actual 六角川 warning is not exercise state
    assert "六角川氾濫警戒情報" not in response.content.decode()


def test_the_bulletin_page_shows_the_state_produced(
    client: Client, viewer: User, stored: Bulletin
) -> None:
    client.force_login(viewer)

    response = client.get(reverse("disaster:jma_bulletin", args=[stored.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "武雄市" in page
    assert "白石町" in page
    assert client.get(reverse("disaster:jma_bulletin", args=[99999])).status_code == 404


def test_the_bulletin_page_refuses_staff_without_the_permission(
    client: Client, karatsu: Organisation, member_factory: Callable[..., User], stored: Bulletin
) -> None:
    client.force_login(member_factory(karatsu))

    assert client.get(reverse("disaster:jma_bulletin", args=[stored.pk])).status_code == 403
