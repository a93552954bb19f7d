"""Subscribers: validation on the way in (addresses, header-breaking names, sections), CSV
import/export, and the `briefing subscribers` commands through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from briefing.cli import main
from briefing.deliver.db import Database
from briefing.deliver.store import SubscriberError, SubscriberStore

SECTIONS = ("diplomacy", "military", "domestic")


@pytest.fixture
def store(tmp_path: Path):
    with Database(tmp_path / "data") as db:
        yield SubscriberStore(db, SECTIONS)


def run(tmp_path: Path, *args: str):
    env = {"BRIEFING_CONFIG": "", "BRIEFING_DATA_DIR": str(tmp_path / "data")}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_add_normalizes_and_updates_instead_of_duplicating(store: SubscriberStore) -> None:
    first = store.add("Ana.Ruiz@Example.ORG", "Ana Ruiz", "military,diplomacy", "html")
    assert (first.email, first.name, first.sections, first.format, first.status) == (
        "Ana.Ruiz@example.org", "Ana Ruiz", ("diplomacy", "military"), "html", "active")
    store.set_status(first.id, "unsubscribed")
    again = store.add("ana.ruiz@example.org", sections="diplomacy,military,domestic")
    assert again.id == first.id and again.status == "active"
    assert again.sections is None  # every section = no preference, so they share the full rendering
    assert len(store.all()) == 1


def test_an_address_is_found_however_add_accepted_it(tmp_path: Path) -> None:
    """`add` stores an internationalized domain in its IDNA form; `remove` with the address
    as the user typed it (Unicode, any case) finds the same subscriber."""
    added = run(tmp_path, "subscribers", "add", "user@bücher.example")
    assert added.exit_code == 0 and added.stdout.startswith("user@xn--bcher-kva.example: active")
    assert run(tmp_path, "subscribers", "add", "ana@example.org").exit_code == 0
    removed = run(tmp_path, "subscribers", "remove", "user@BÜCHER.example")
    assert removed.exit_code == 0, removed.output
    assert removed.stdout == "user@xn--bcher-kva.example: removed\n"
    gone = run(tmp_path, "subscribers", "remove", "user@bücher.example")
    assert gone.exit_code == 2 and "user@bücher.example: no such subscriber" in gone.stderr
    assert run(tmp_path, "subscribers", "remove", " ANA@Example.org ").exit_code == 0
    assert run(tmp_path, "subscribers", "list").stdout == ""


def test_find_refuses_what_is_no_address(store: SubscriberStore) -> None:
    with pytest.raises(SubscriberError, match="not a valid e-mail address"):
        store.find("not-an-address")


@pytest.mark.parametrize("address", [
    "ana@example.org\r\nBcc: victim@example.org",
    "ana@example.org\nBcc: victim@example.org",
    "ana\x00@example.org",
    "ana@example.org\u2028x",
    "not-an-address",
    "ana@",
    "Ana <ana@example.org>",
])
def test_header_breaking_or_invalid_addresses_are_refused(store: SubscriberStore, address: str) -> None:
    with pytest.raises(SubscriberError):
        store.add(address)
    assert store.all() == []


@pytest.mark.parametrize("name", ["Ana\r\nBcc: victim@example.org", "Ana\nRuiz", "Ana\x1b[31m", "Ana\u2029"])
def test_header_breaking_names_are_refused(store: SubscriberStore, name: str) -> None:
    with pytest.raises(SubscriberError, match="line break or control character"):
        store.add("ana@example.org", name)


def test_unknown_sections_and_formats_are_refused_naming_the_address(store: SubscriberStore) -> None:
    with pytest.raises(SubscriberError, match=r"ana@example.org: unknown section\(s\) sport"):
        store.add("ana@example.org", sections="diplomacy,sport")
    with pytest.raises(SubscriberError, match="format must be one of pdf, html"):
        store.add("ana@example.org", fmt="docx")


def test_import_goes_on_after_bad_rows_and_never_reactivates(tmp_path: Path, store: SubscriberStore) -> None:
    gone = store.add("gone@example.org")
    store.set_status(gone.id, "unsubscribed")
    csv_file = tmp_path / "people.csv"
    csv_file.write_text(
        "email,name,sections,format\n"
        "ana@example.org,Ana,diplomacy,pdf\n"
        "broken-address,Bob,,\n"
        "cy@example.org,Cy,sport,html\n"
        "gone@example.org,Gone Again,,html\n",
        "utf-8",
    )
    warnings: list[str] = []
    result = store.import_csv(csv_file, warnings.append)
    assert (result.added, result.updated, result.skipped) == (1, 1, 2)
    assert len(warnings) == 2
    assert warnings[0].startswith(f"{csv_file}:3: 'broken-address': not a valid e-mail address")
    assert warnings[1].startswith(f"{csv_file}:4: cy@example.org: unknown section(s) sport")
    assert store.require("gone@example.org").status == "unsubscribed"
    assert store.require("gone@example.org").format == "html"


def test_cli_add_list_export_import_remove(tmp_path: Path) -> None:
    assert run(tmp_path, "subscribers", "add", "ana@example.org", "--name", "Ana Ruiz", "--sections", "diplomacy").exit_code == 0
    assert run(tmp_path, "subscribers", "add", "bob@example.org", "--format", "html").exit_code == 0

    listed = [json.loads(line) for line in run(tmp_path, "subscribers", "list", "--json").stdout.splitlines()]
    assert [(r["email"], r["sections"], r["format"], r["status"]) for r in listed] == [
        ("ana@example.org", ["diplomacy"], "pdf", "active"), ("bob@example.org", [], "html", "active")]

    exported = run(tmp_path, "subscribers", "export").stdout
    assert exported.splitlines()[0] == "email,name,sections,format,status"
    assert "ana@example.org,Ana Ruiz,diplomacy,pdf,active" in exported

    removed = run(tmp_path, "subscribers", "remove", "ana@example.org")
    assert removed.exit_code == 0 and "ana@example.org: removed" in removed.stdout
    backup = tmp_path / "backup.csv"
    backup.write_text(exported, "utf-8")
    imported = run(tmp_path, "subscribers", "import", str(backup))
    assert imported.exit_code == 0 and "1 added, 1 updated, 0 skipped" in imported.stdout
    assert run(tmp_path, "subscribers", "export").stdout == exported


def test_cli_refuses_injection_with_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    result = run(tmp_path, "subscribers", "add", "ana@example.org", "--name", "Ana\r\nBcc: victim@example.org")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "line break or control character" in result.stderr
    assert run(tmp_path, "subscribers", "list").stdout == ""
    missing = run(tmp_path, "subscribers", "remove", "nobody@example.org")
    assert missing.exit_code == 2 and "nobody@example.org: no such subscriber" in missing.stderr


def test_export_defuses_spreadsheet_formulas_and_imports_back(tmp_path: Path) -> None:
    assert run(tmp_path, "subscribers", "add", "eve@example.org", "--name", "=HYPERLINK(1)").exit_code == 0
    exported = run(tmp_path, "subscribers", "export").stdout
    assert "eve@example.org,'=HYPERLINK(1)," in exported
    backup = tmp_path / "backup.csv"
    backup.write_text(exported, "utf-8")
    assert run(tmp_path, "subscribers", "import", str(backup)).exit_code == 0
    assert run(tmp_path, "subscribers", "export").stdout == exported


def test_unusable_data_folder_or_database_is_one_line_exit_2(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "delivery.sqlite3").write_bytes(b"not a database, just some text\n" * 4)
    damaged = run(tmp_path, "subscribers", "list")
    assert damaged.exit_code == 2 and damaged.stderr.count("\n") == 1
    assert "delivery.sqlite3: cannot open the delivery database" in damaged.stderr
    (tmp_path / "file").write_text("x", "utf-8")
    env = {"BRIEFING_CONFIG": "", "BRIEFING_DATA_DIR": str(tmp_path / "file")}
    blocked = CliRunner().invoke(main, ["subscribers", "list"], env=env, catch_exceptions=False)
    assert blocked.exit_code == 2 and "cannot create the data folder" in blocked.stderr


def test_export_to_an_unwritable_place_is_one_line_exit_4(tmp_path: Path) -> None:
    assert run(tmp_path, "subscribers", "add", "ana@example.org").exit_code == 0
    (tmp_path / "file").write_text("x", "utf-8")
    result = run(tmp_path, "subscribers", "export", "--out", str(tmp_path / "file" / "subscribers.csv"))
    assert result.exit_code == 4 and result.stderr.count("\n") == 1
    assert "subscribers.csv: cannot write" in result.stderr
