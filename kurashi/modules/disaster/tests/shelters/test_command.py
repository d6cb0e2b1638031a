"""`kurashi shelters import`: reports, exit status, dry run, JSON (an empty database each)."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from kurashi.modules.disaster.models import Shelter
from kurashi.modules.disaster.tests.shelters.conftest import DESIGNATED_CSV, EMERGENCY_CSV


def test_command_imports_files_and_reports(db: None, tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()

    call_command(
        "shelters", "import", str(DESIGNATED_CSV), str(EMERGENCY_CSV), stdout=out, stderr=err
    )

    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("saga_gsi_designated_shelters.csv (")
    assert lines[0].endswith("utf-8): 654 rows, 654 created, 0 updated, 0 unchanged, 0 rejected")
    assert lines[1].startswith("saga_gsi_emergency_sites.csv (")
    assert lines[1].endswith("utf-8): 482 rows, 482 created, 0 updated, 0 unchanged, 0 rejected")
    assert err.getvalue() == ""
    assert Shelter.objects.count() == 1136


def test_command_reports_bad_rows_and_exits_1(db: None, tmp_path: Path) -> None:
    lines = DESIGNATED_CSV.read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([lines[0], lines[1], lines[2].replace("33.241027", "x"), ""]), "utf-8")
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(SystemExit) as exit_info:
        call_command("shelters", "import", str(bad), stdout=out, stderr=err)

    assert exit_info.value.code == 1
    assert "2 rows, 1 created, 0 updated, 0 unchanged, 1 rejected" in out.getvalue()
    assert err.getvalue().strip() == "line 3 E4120100002111: 緯度 'x' is not a number."


def test_command_json_report_and_dry_run(db: None) -> None:
    out = io.StringIO()

    call_command("shelters", "import", "--dry-run", "--json", str(EMERGENCY_CSV), stdout=out)

    report = json.loads(out.getvalue())
    assert report[0]["created"] == 482
    assert report[0]["dry_run"] is True
    assert Shelter.objects.exists() is False


def test_command_rejects_a_missing_file(db: None, tmp_path: Path) -> None:
    err = io.StringIO()

    with pytest.raises(SystemExit):
        call_command("shelters", "import", str(tmp_path / "none.csv"), stderr=err)

    assert "none.csv: rejected:" in err.getvalue()
