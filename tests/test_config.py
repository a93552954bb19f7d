"""Configuration layers: defaults <- TOML <- environment <- flags, and taxonomy edits."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefing.config import Secret, default_sections, load_config
from briefing.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "briefing.toml"
    path.write_text(text, "utf-8")
    return path


def test_defaults_ship_three_sections() -> None:
    config = load_config(env={})
    assert [s.id for s in config.sections] == ["diplomacy", "military", "domestic"]
    assert all(s.terms for s in default_sections())
    assert config.render.formats == ("pdf",)


def test_layers_in_order(tmp_path: Path) -> None:
    path = write(tmp_path, '[summary]\nsentences = 7\nalgorithm = "luhn"\n[smtp]\nport = 2525\nhost = "mail.example"\n')
    env = {"BRIEFING_SMTP_PORT": "2626", "BRIEFING_SUMMARY_ALGORITHM": "kl", "BRIEFING_FROM": "News <n@example.org>"}
    config = load_config(path, env=env, overrides={"summary": {"algorithm": "textrank", "sentences": None}})
    assert config.summary.sentences == 7  # file
    assert config.smtp.host == "mail.example"  # file
    assert config.smtp.port == 2626  # environment beats file
    assert config.summary.algorithm == "textrank"  # flag beats environment
    assert config.mail.sender == "News <n@example.org>"


def test_config_file_from_environment(tmp_path: Path) -> None:
    path = write(tmp_path, 'data_dir = "/srv/briefing"\ninputs = ["a", "b"]\n')
    config = load_config(env={"BRIEFING_CONFIG": str(path)})
    assert config.data_dir == Path("/srv/briefing")
    assert config.inputs == (Path("a"), Path("b"))


def test_sections_edited_added_removed(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[[sections]]\nid = "military"\nremove = true\n'
        '[[sections]]\nid = "diplomacy"\ntitle = "Foreign Affairs"\nextra_terms = ["envoy"]\nsentences = 3\n'
        '[[sections]]\nid = "economy"\ntitle = "Economy"\nterms = { inflation = 2.0, tariff = 1.5 }\n',
    )
    config = load_config(path, env={})
    assert [s.id for s in config.sections] == ["diplomacy", "domestic", "economy"]
    diplomacy = config.section("diplomacy")
    assert diplomacy.title == "Foreign Affairs" and diplomacy.sentences == 3
    assert "envoy" in diplomacy.terms and len(diplomacy.terms) > 1
    assert dict(config.section("economy").terms) == {"inflation": 2.0, "tariff": 1.5}


def test_password_never_from_file_and_never_shown(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="may not be written in the config file"):
        load_config(write(tmp_path, '[smtp]\npassword = "hunter2"\n'), env={})
    secret_file = tmp_path / "pw"
    secret_file.write_text("s3cret\n", "utf-8")
    config = load_config(write(tmp_path, f'[smtp]\npassword_file = "{secret_file}"\n'), env={})
    assert isinstance(config.smtp.password, Secret)
    assert config.smtp.password.reveal() == "s3cret"
    assert "s3cret" not in repr(config) and "s3cret" not in str(config.smtp.password)


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        ("[summary]\nsentences = 'many'\n", {}, "summary.sentences"),
        ("[summary]\nbogus = 1\n", {}, "unknown key"),
        ("not toml = = 1\n", {}, "invalid TOML"),
        ("[[sections]]\ntitle = 'x'\n", {}, "needs an 'id'"),
        ("", {"BRIEFING_SUMMARY_DEDUPE": "maybe"}, "summary.dedupe"),
        ("titel = 'x'\n", {}, "unknown key.*titel"),
        ("[summery]\nsentences = 3\n", {}, "unknown key.*summery"),
        ("smtp = 5\n", {}, "smtp: expected a table"),
        ("", {"BRIEFING_SUMMARY_SENTENCES": "0"}, "summary.sentences: expected 1 or more, not 0"),
        ("[[sections]]\nid = 'military'\nsentences = -2\n", {}, r"sections\[military\].sentences: expected 1 or more"),
        ("[summary]\ndedupe_threshold = 1.5\n", {}, "summary.dedupe_threshold"),
        ("", {"BRIEFING_SECTIONS": "economy"}, r"BRIEFING_SECTIONS: \[\[sections\]\] can be set only in the config file"),
        ("", {"BRIEFING_SOURCES": "https://a.example/rss"}, r"\[\[sources\]\]"),
        ("sections = 5\n", {}, "sections: expected an array of tables"),
        ("sources = ['x']\n", {}, r"sources\[0\]: expected a table"),
        ("sections = ['x']\n", {}, r"sections\[0\]: expected a table"),
        ("", {"BRIEFING_SMTP_HOTS": "mail.example.org"},
         "BRIEFING_SMTP_HOTS: unknown environment variable .*did you mean BRIEFING_SMTP_HOST"),
        ("", {"BRIEFING_DATADIR": "/srv"}, "BRIEFING_DATADIR: unknown .*did you mean BRIEFING_DATA_DIR"),
        ("", {"BRIEFING_MAIL_SECRETS": "x" * 20}, "BRIEFING_MAIL_SECRETS: unknown .*did you mean BRIEFING_MAIL_SECRET"),
        ("", {"BRIEFING_NOTHING_LIKE_IT": "1"}, r"BRIEFING_NOTHING_LIKE_IT: unknown environment variable \(it names no"),
        ("[http]\nconcurrency = 0\n", {}, "http.concurrency: expected 1 or more, not 0"),
        ("[http]\nper_host = 0\n", {}, "http.per_host: expected 1 or more, not 0"),
        ("[http]\ntimeout = -1\n", {}, "http.timeout: expected a number of seconds more than 0, not -1"),
        ("", {"BRIEFING_HTTP_TIMEOUT": "inf"}, "http.timeout: expected a number of seconds more than 0, not inf"),
        ("[http]\nmax_redirects = -1\n", {}, "http.max_redirects: expected 0 or more, not -1"),
        ("", {"BRIEFING_HTTP_MAX_BYTES": "-5"}, "http.max_bytes: expected 1 or more, not -5"),
        ("[http]\nstale_days = 0\n", {}, "http.stale_days: expected 1 or more, not 0"),
        ("[http]\nhost_failures = -1\n", {}, "http.host_failures: expected 0 or more, not -1"),
        ("[http]\ncache_days = -1\n", {}, "http.cache_days: expected 0 or more, not -1"),
        ("[http]\nhost_budget = -1\n", {}, "http.host_budget: expected a number of seconds, 0 or more, not -1"),
        ("[[sources]]\nname = 'A'\nurl = 'a.xml'\nlimit = -1\n", {}, r"sources\[0\].limit: expected 1 or more, not -1"),
        ("[[sources]]\nname = 'A'\nurl = 'a.xml'\nlimit = 0\n", {}, r"sources\[0\].limit: expected 1 or more, not 0"),
        ("[[sources]]\nname = 'A'\nurl = 'a.xml'\nsection = 'sport'\n", {},
         r"sources\[0\].section: unknown section 'sport'; expected one of diplomacy, military, domestic"),
        ("[[sources]]\nurl = 'a.xml'\n", {}, r"^sources\[0\]: missing required key\(s\) name$"),
        ("[[sources]]\nname = 'A'\n", {}, r"^sources\[0\]: missing required key\(s\) url$"),
        ("[[sources]]\nname = ' '\nurl = 'a.xml'\n", {}, r"sources\[0\].name: expected a non-empty string"),
        ("[render]\nformats = ['docx']\n", {}, r"render.formats: unknown format 'docx' \(choose from pdf, html, txt\)"),
        ("[render]\nformats = []\n", {}, r"render.formats: expected one or more of pdf, html, txt"),
        ("", {"BRIEFING_RENDER_FORMATS": "pdf,xls"}, r"render.formats: unknown format 'xls'"),
        ("[summary]\nsentences = 2.9\n", {}, r"summary.sentences: expected an integer, not 2.9"),
        ("[summary]\nsentences = true\n", {}, r"summary.sentences: expected an integer, not True"),
        ("", {"BRIEFING_SUMMARY_SENTENCES": "2.9"}, r"summary.sentences: cannot use '2.9' as int"),
        ("[[sections]]\nid = 'military'\nsentences = 1.5\n", {}, r"sections\[0\].sentences: expected an integer"),
        ("[summary]\ndedupe_threshold = true\n", {}, r"summary.dedupe_threshold: expected a number, not True"),
        ("[summary]\ndedupe = 1\n", {}, r"summary.dedupe: expected true or false, not 1"),
        ("[render]\ntitle = ['x', 'y']\n", {}, r"render.title: expected a string, not \['x', 'y'\]"),
        ("[render]\nauthor = 7\n", {}, r"render.author: expected a string, not 7"),
        ("[render]\nformats = [1]\n", {}, r"render.formats: expected a string, not 1"),
    ],
)
def test_bad_config_is_one_clear_error(tmp_path: Path, text: str, env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, text), env=env)


def test_environment_names_that_are_not_keys_are_left_alone(tmp_path: Path) -> None:
    config = load_config(None, env={"BRIEFING_CONFIG": "", "BRIEFING_REGEN_GOLDEN": "1", "OTHER_SMTP_HOTS": "x",
                                    "BRIEFING_FROM": "Desk <desk@example.org>", "BRIEFING_SMTP_PASSWORD_FILE": ""})
    assert config.mail.sender == "Desk <desk@example.org>"


def test_a_misspelt_variable_stops_a_command_with_exit_2_and_never_shows_its_value(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from briefing.cli import main

    result = CliRunner().invoke(main, ["subscribers", "list"], env={
        "BRIEFING_CONFIG": "", "BRIEFING_DATA_DIR": str(tmp_path), "BRIEFING_SMTP_PASWORD": "hunter2-secret"})
    assert result.exit_code == 2
    assert "BRIEFING_SMTP_PASWORD: unknown environment variable" in result.output
    assert "did you mean BRIEFING_SMTP_PASSWORD" in result.output and "hunter2-secret" not in result.output


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml", env={})


def test_unreadable_secret_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(ConfigError, match=f"{missing}: cannot read the mail secret file"):
        load_config(write(tmp_path, f'[mail]\nsecret_file = "{missing}"\n'), env={})


def test_window_hours_take_fractions_like_the_hours_flag(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "[window]\nhours = 1.5\n"), env={}).window.hours == 1.5
    assert load_config(None, env={"BRIEFING_WINDOW_HOURS": "0.25"}).window.hours == 0.25


def test_a_source_may_hint_a_section_the_config_adds(tmp_path: Path) -> None:
    path = write(tmp_path, "[[sections]]\nid = 'economy'\nterms = ['tariff']\n"
                           "[[sources]]\nname = 'Markets'\nurl = 'm.xml'\nsection = 'economy'\nlimit = 1\n")
    assert load_config(path, env={}).sources[0].section == "economy"


def test_whole_numbers_and_strings_still_load(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "[summary]\nsentences = 3\ndedupe_threshold = 1\n"
                                         "[render]\nformats = ['TXT', 'html']\ntitle = 'Morning Notes'\n"), env={})
    assert (config.summary.sentences, config.summary.dedupe_threshold) == (3, 1.0)
    assert config.render.formats == ("txt", "html") and config.render.title == "Morning Notes"
    assert load_config(None, env={"BRIEFING_SUMMARY_SENTENCES": "7", "BRIEFING_SUMMARY_DEDUPE": "off"}).summary.sentences == 7


def test_bad_render_formats_stop_build_before_any_work(tmp_path: Path) -> None:
    """It used to fail only after the whole pipeline ran, with a render error that named no key."""
    from click.testing import CliRunner

    from briefing.cli import main

    config = write(tmp_path, "[render]\nformats = ['docx']\n")
    result = CliRunner().invoke(main, ["build", "--config", str(config), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "render.formats: unknown format 'docx'" in result.output
    assert not (tmp_path / "out").exists()
