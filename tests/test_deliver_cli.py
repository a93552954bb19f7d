"""`briefing send`, `daily`, `deliveries` and `unsubscribe-server` through the real entry
point against a real aiosmtpd server: exit codes, dry runs, and secrets kept out of every output."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
import urllib.request
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from briefing import pipeline
from briefing.archive import archive_path, save_briefing
from briefing.cli import main
from smtp_server import PASSWORD, SECRET, USER, Recorder, delivery_env, smtp_server, tiny_briefing

pytestmark = pytest.mark.timeout(120)
ROOT = Path(__file__).resolve().parent.parent
NEXT_DAY = tiny_briefing().edition + dt.timedelta(days=1)


def cli(env: dict[str, str], *args: str):
    return CliRunner().invoke(main, list(args), env={"BRIEFING_CONFIG": "", **env}, catch_exceptions=False)


def prepared(tmp_path: Path, port: int, **extra: str) -> dict[str, str]:
    """An archived small edition for 2026-11-25 (so `send` renders but does not build) and two subscribers."""
    env = delivery_env(tmp_path / "data", tmp_path / "out", port, **extra)
    save_briefing(tiny_briefing(), archive_path(tmp_path / "out", tiny_briefing().edition))
    assert cli(env, "subscribers", "add", "ana@example.org", "--format", "html").exit_code == 0
    assert cli(env, "subscribers", "add", "gone@example.org", "--format", "html").exit_code == 0
    return env


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_send_exit_codes_deliveries_report_and_no_secret_anywhere(tmp_path: Path) -> None:
    handler = Recorder(rcpt_reply=lambda a: "550 5.1.1 no such user" if a.startswith("gone") else None)
    with smtp_server(handler, auth=True) as server:
        env = prepared(tmp_path, server.port, BRIEFING_SMTP_USER=USER, BRIEFING_SMTP_PASSWORD=PASSWORD)
        first = cli(env, "send", "--date", "2026-11-25", "-v")
        assert first.exit_code == 5
        assert "1 sent now, 1 failed now, 0 pending" in first.stdout
        assert "gone@example.org: 550 5.1.1 no such user (failed)" in first.stderr
        assert "see `briefing deliveries --date 2026-11-25`" in first.stderr

        report = cli(env, "deliveries", "--date", "2026-11-25", "--json")
        rows = {r["email"]: r for r in map(json.loads, report.stdout.splitlines())}
        assert (rows["ana@example.org"]["state"], rows["gone@example.org"]["state"]) == ("sent", "failed")
        assert rows["gone@example.org"]["last_error"] == "550 5.1.1 no such user"
        plain = cli(env, "deliveries")
        assert plain.stdout.splitlines()[-1] == "2026-11-25: 0 queued, 0 sending, 1 sent, 1 failed"

        assert cli(env, "subscribers", "remove", "gone@example.org").exit_code == 0
        again = cli(env, "send", "--date", "2026-11-25")
        # the failed row is final and was the first run's exit 5: a re-run that sends nothing new is not a failure
        assert again.exit_code == 0, again.output
        assert "0 sent now, 0 failed now, 0 pending; edition total 1 sent, 1 failed" in again.stdout

        assert cli(env, "subscribers", "add", "new@example.org", "--format", "html").exit_code == 0
        wrong = cli({**env, "BRIEFING_SMTP_PASSWORD": PASSWORD + "-wrong"}, "send", "--date", "2026-11-25", "-v")
        assert wrong.exit_code == 5 and "login refused" in wrong.stderr

    assert handler.per_recipient() == {"ana@example.org": 1}
    outputs = [first.output, report.output, plain.output, again.output, wrong.output,
               cli(env, "subscribers", "list", "--json").output]
    stored = b"".join(p.read_bytes() for p in (tmp_path / "data").iterdir() if p.is_file())
    for secret in (PASSWORD, SECRET):
        assert all(secret not in text for text in outputs)
        assert secret.encode() not in stored


def test_send_catches_up_the_day_before_and_a_dead_server_is_exit_5_fast(tmp_path: Path) -> None:
    refusing = {"on": True}
    handler = Recorder(rcpt_reply=lambda a: "451 4.7.1 greylisted" if refusing["on"] and a.startswith("gone") else None)
    with smtp_server(handler) as server:
        env = prepared(tmp_path, server.port, BRIEFING_SMTP_GIVE_UP_AFTER="3")
        save_briefing(tiny_briefing(NEXT_DAY), archive_path(tmp_path / "out", NEXT_DAY))
        first = cli(env, "send", "--date", "2026-11-25")
        assert first.exit_code == 5 and "1 failed now" not in first.stderr
        assert "0 failed now and 1 pending for 2026-11-25" in first.stderr
        refusing["on"] = False
        next_day = cli(env, "send", "--date", "2026-11-26")
    assert next_day.exit_code == 0, next_day.output
    assert next_day.stdout.splitlines() == [
        "2026-11-25: 1 sent now, 0 failed now, 0 pending; edition total 2 sent, 0 failed",
        "2026-11-26: 2 sent now, 0 failed now, 0 pending; edition total 2 sent, 0 failed",
    ]
    assert handler.per_recipient() == {"ana@example.org": 2, "gone@example.org": 2}

    assert cli(env, "subscribers", "add", "late@example.org", "--format", "html").exit_code == 0
    dead = cli(env, "send", "--date", "2026-11-26")  # the server is gone
    assert dead.exit_code == 5
    assert "3 SMTP failures in a row, the last: cannot connect to 127.0.0.1" in dead.stderr


def test_dry_run_writes_eml_and_leaves_the_ledger_alone(tmp_path: Path) -> None:
    with smtp_server() as server:
        env = prepared(tmp_path, server.port, BRIEFING_MAIL_SECRET="")
        result = cli(env, "send", "--date", "2026-11-25", "--dry-run")
        assert result.exit_code == 0, result.output
        assert cli(env, "deliveries", "--date", "2026-11-25").stdout.splitlines() == [
            "2026-11-25: 0 queued, 0 sending, 0 sent, 0 failed"]
        no_secret = cli(env, "send", "--date", "2026-11-25")
    assert no_secret.exit_code == 2 and "mail.secret is not set" in no_secret.stderr
    assert server.handler.received == []
    outbox = tmp_path / "out" / "outbox-2026-11-25"
    files = sorted(outbox.glob("*.eml"))
    assert [f.name.split("-", 1)[1] for f in files] == ["ana@example.org.eml", "gone@example.org.eml"]
    msg = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert msg["To"] == "ana@example.org" and msg["X-Briefing-Dry-Run"]
    assert "dry-run." in msg["List-Unsubscribe"]
    assert [p.get_content_type() for p in msg.walk()] == ["multipart/alternative", "text/plain", "text/html"]


def test_daily_builds_from_samples_sends_sections_and_is_safe_to_run_twice(tmp_path: Path) -> None:
    with smtp_server() as server:
        env = delivery_env(tmp_path / "data", tmp_path / "out", server.port)
        assert cli(env, "subscribers", "add", "diplomat@example.org", "--sections", "diplomacy").exit_code == 0
        assert cli(env, "subscribers", "add", "reader@example.org", "--format", "html").exit_code == 0
        first = cli(env, "daily", "-q")
        second = cli(env, "daily", "-q")
    day = pipeline.sample_edition().isoformat()
    assert first.exit_code == 0, first.output
    assert f"{day}: 2 sent now" in first.stdout
    assert second.exit_code == 0 and f"{day}: 0 sent now, 0 failed now, 0 pending" in second.stdout
    assert (tmp_path / "out" / f"briefing-{day}.json").exists()
    assert server.handler.per_recipient() == {"diplomat@example.org": 1, "reader@example.org": 1}

    attachment = server.handler.messages_to("diplomat@example.org")[0].get_payload()[1]
    reader = PdfReader(io.BytesIO(attachment.get_content()))
    text = "".join(page.extract_text() for page in reader.pages)
    outline = [item.title for item in reader.outline if not isinstance(item, list)]
    assert "Diplomacy" in text and "Military" not in text and "Domestic" not in text
    assert "Military & Security" not in outline and "Domestic Affairs" not in outline


def test_daily_that_builds_reports_each_source_and_a_rerun_does_not(tmp_path: Path) -> None:
    feed = ROOT / "tests" / "data" / "feeds" / "rss2.xml"
    config = tmp_path / "briefing.toml"
    config.write_text(f'[[sources]]\nname = "Local wire"\nurl = "{feed}"\n'
                      f'[[sources]]\nname = "Gone"\nurl = "{tmp_path / "gone.xml"}"\n', "utf-8")
    with smtp_server() as server:
        env = {**delivery_env(tmp_path / "data", tmp_path / "out", server.port), "BRIEFING_CONFIG": str(config)}
        assert cli(env, "subscribers", "add", "reader@example.org").exit_code == 0
        first = cli(env, "send", "--date", "2026-11-25")
        again = cli(env, "send", "--date", "2026-11-25")
    assert first.exit_code == 0, first.output
    assert "source Local wire: " in first.stderr and "source Gone: 0 seen" in first.stderr
    assert again.exit_code == 0 and "source " not in again.stderr  # read from the archive: nothing fetched


def test_unsubscribe_server_command_serves_one_click(tmp_path: Path) -> None:
    env = {**os.environ, "BRIEFING_CONFIG": "", **delivery_env(tmp_path / "data", tmp_path / "out", 25)}
    assert cli(env, "subscribers", "add", "ana@example.org").exit_code == 0
    from briefing.deliver.tokens import TokenSigner
    from smtp_server import delivery_config

    token = TokenSigner.from_config(delivery_config(tmp_path, 25).mail).token(1, "ana@example.org")
    server = subprocess.Popen([sys.executable, "-m", "briefing", "unsubscribe-server", "--port", "0"], cwd=ROOT,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()  # type: ignore[union-attr]
        assert line.startswith("listening on http://127.0.0.1:")
        base = line.split()[2].rsplit("/unsubscribe/", 1)[0]
        req = urllib.request.Request(f"{base}/unsubscribe/{token}", data=b"List-Unsubscribe=One-Click", method="POST")
        with urllib.request.urlopen(req, timeout=10) as response:
            assert response.status == 200
    finally:
        server.terminate()
        server.wait(timeout=10)
    listed = json.loads(cli(env, "subscribers", "list", "--json").stdout)
    assert listed["status"] == "unsubscribed"
