"""`kurashi jma ingest FILE…` and `kurashi jma poll --once`."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kurashi.modules.disaster.models import Bulletin
from kurashi.modules.disaster.models.jma import RejectedBulletin
from kurashi.modules.disaster.tests.jma.builders import FIXTURES

pytestmark = pytest.mark.django_db


def test_ingest_prints_one_line_per_file_and_succeeds() -> None:
    out = StringIO()

    call_command(
        "jma",
        "ingest",
        str(FIXTURES / "official_16_02_02_220728_VXKOii.xml"),
        str(FIXTURES / "official_15_14_01_170216_VPWW53.xml"),
        "--no-progress",
        stdout=out,
    )

    lines = out.getvalue().splitlines()
    assert lines[0] == (
        "official_16_02_02_220728_VXKOii.xml: created VXKO 六角川氾濫警戒情報 [通常/発表] → applied "
        "(412066:L3, 412091:L3, 414239:L3, 414247:L3, 414255:L3)"
    )
    assert lines[1].startswith(
        "official_15_14_01_170216_VPWW53.xml: created VPWW53 東京都気象警報・注意報"
    )
    assert lines[1].endswith("→ not_saga")
    assert "2 file(s) ingested." in lines[2]
    assert Bulletin.objects.count() == 2


def test_ingest_exits_non_zero_when_a_file_is_rejected(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_bytes(b"<Report>")
    out = StringIO()

    with pytest.raises(CommandError) as raised:
        call_command(
            "jma",
            "ingest",
            str(FIXTURES / "official_16_02_02_220728_VXKOii.xml"),
            str(broken),
            "--no-progress",
            stdout=out,
        )

    assert raised.value.returncode == 1
    assert "1 of 2 file(s) rejected" in str(raised.value)
    assert "broken.xml: rejected — malformed:" in out.getvalue()
    assert RejectedBulletin.objects.get().source_name == "broken.xml"
    assert Bulletin.objects.count() == 1  # the good file is kept


def test_ingest_reports_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No such file"):
        call_command("jma", "ingest", str(tmp_path / "missing.xml"), "--no-progress")


def test_poll_once_runs_one_cycle(settings: object) -> None:
    settings.JMA_FEED_URLS = ["http://127.0.0.1:9/extra.xml"]  # type: ignore[attr-defined]
    out = StringIO()

    call_command("jma", "poll", "--once", stdout=out)

    assert "extra.xml error: ConnectError" in out.getvalue()
