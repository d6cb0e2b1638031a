"""A page answered to a request with a session is `private, no-store`, whatever the view marked
it for shared caches: a signed-in staff member's home page names their office and carries a CSRF
token (issue 15: `/`, `/disaster/`, `/plan/` answered `public, max-age=30` for them)."""

import pytest
from django.conf import settings
from django.test import Client

from kurashi.core.models import Organisation, User
from kurashi.testing import PASSWORD, make_member, make_user

PUBLIC_PAGES = ["/", "/disaster/", "/plan/", "/en/", "/archive/"]


@pytest.fixture
def staff(karatsu: Organisation) -> User:
    return make_member(karatsu, "core.manage_members", user=make_user("karatsu-approver"))


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_signed_in_staff_get_private_no_store(client: Client, staff: User, path: str) -> None:
    client.force_login(staff)
    response = client.get(path)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert "Expires" not in response


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_anonymous_visitors_still_get_shareable_pages(client: Client, db: None, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("public, max-age=")


def test_a_leftover_session_cookie_makes_the_page_private(client: Client, db: None) -> None:
    client.cookies[settings.SESSION_COOKIE_NAME] = "stale-or-forged"
    assert client.get("/")["Cache-Control"] == "private, no-store"


def test_a_response_that_starts_a_session_is_private(client: Client, staff: User) -> None:
    response = client.post("/accounts/login/", {"username": staff.username, "password": PASSWORD})
    assert response.status_code == 302
    assert settings.SESSION_COOKIE_NAME in response.cookies
    assert response["Cache-Control"] == "private, no-store"
