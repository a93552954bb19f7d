"""One typed configuration, built as defaults <- TOML file <- environment <- CLI flags.

No other module reads the environment: everything a stage may be told travels in
``Config``. Every key of the TOML file can be overridden by ``BRIEFING_<TABLE>_<KEY>``
(``BRIEFING_<KEY>`` for top-level keys), for example ``BRIEFING_SMTP_HOST``.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import tomllib
import types
import typing
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from .errors import ConfigError

DEFAULT_SECTIONS_RESOURCE = "sections.toml"
#: The files an edition can be rendered as (briefing/render.py makes them).
FORMATS = ("pdf", "html", "txt")
ENV_PREFIX = "BRIEFING_"
#: Environment names that the issue tracker and users expect, mapped to their key.
ENV_ALIASES = {"BRIEFING_FROM": ("mail", "sender")}
#: ``BRIEFING_*`` names that are not keys: the config file's path, and the switch that
#: regenerates the golden files of tests/test_render.py.
ENV_NOT_CONFIG = frozenset({"BRIEFING_CONFIG", "BRIEFING_REGEN_GOLDEN"})


class Secret(str):
    """A string that never shows itself in reprs, logs or tracebacks."""

    def __repr__(self) -> str:
        return "Secret('***')"

    def reveal(self) -> str:
        return str.__str__(self)

    def __str__(self) -> str:
        return "***"


@dataclass(frozen=True)
class SectionDef:
    """One section of the taxonomy; ``terms`` maps a word or phrase to its weight."""

    id: str
    title: str
    description: str = ""
    sentences: int | None = None  # key sentences for this section; None = summary.sentences
    terms: Mapping[str, float] = field(default_factory=dict)
    #: Case-sensitive regular expressions on the raw sentence -> weight, for cues that stems
    #: lose ("US", "MPs", "Labour") or that need word order ("talks with").
    patterns: Mapping[str, float] = field(default_factory=dict)
    #: Terms that govern the rest of their clause ("proposals to deploy troops", "a law on
    #: military service"): other sections' terms there count mostly for this one (main event).
    frames: tuple[str, ...] = ()
    #: Weight per distinct state a sentence names beyond the first (by name, demonym or
    #: capital, from the package's gazetteer): relations between states are diplomacy's cue.
    states: float = 0.0


@dataclass(frozen=True)
class SummaryConfig:
    algorithm: str = "briefing"  # ours: best ROUGE on both halves of the BBC set, readable picks (README)
    sentences: int = 5
    dedupe: bool = True
    dedupe_threshold: float = 0.6  # Jaccard of stem sets above which two sentences are repeats


@dataclass(frozen=True)
class ClassifyConfig:
    model: Path | None = None  # a model made by `briefing train`; None = the one that ships with the package
    model_weight: float = 2.0  # how much the model's P(section) counts against a term of weight 1; 0 = off


@dataclass(frozen=True)
class RenderConfig:
    title: str = "Daily Briefing"
    author: str = "briefing"
    formats: tuple[str, ...] = ("pdf",)
    templates_dir: Path | None = None  # None = the project's own templates/
    pdf_variant: str = "pdf/ua-1"  # "" for a plain PDF


@dataclass(frozen=True)
class WindowConfig:
    timezone: str = "UTC"
    cutoff_hour: int = 6  # the edition covers the hours before this time of its date
    hours: float = 24.0  # float, like --hours: "hours = 1.5" is a 90-minute window
    undated: str = "keep"  # "keep" (if first seen in this window) or "drop"


@dataclass(frozen=True)
class SourceDef:
    name: str
    url: str
    section: str | None = None
    limit: int | None = None
    enabled: bool = True


@dataclass(frozen=True)
class HttpConfig:
    timeout: float = 10.0
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    concurrency: int = 8
    per_host: int = 2
    user_agent: str = "briefing/0.1 (+https://example.invalid/briefing)"
    stale_days: int = 3
    #: After this many timeouts or connection failures in a row on one host, its remaining
    #: addresses are not fetched this run (0 = never give up on a host); see briefing/fetch.py.
    host_failures: int = 3
    #: Seconds of requests one host may take in a run before its remaining addresses are skipped (0 = no limit).
    host_budget: float = 300.0
    #: Cached responses not used for this many days are deleted after a run (0 = keep them all).
    cache_days: int = 30
    #: Links in feeds and redirects may not reach loopback/private addresses unless this is
    #: true; the hosts of configured source URLs are always allowed (see briefing/fetch.py).
    allow_private: bool = False


@dataclass(frozen=True)
class SmtpConfig:
    host: str = "localhost"
    port: int = 25
    security: str = "none"  # none | starttls | ssl
    user: str | None = None
    password: Secret | None = None  # only from the environment or password_file
    password_file: Path | None = None
    timeout: float = 30.0
    rate: float = 0.0  # messages per second, 0 = unlimited
    concurrency: int = 1
    give_up_after: int = 10  # server-level failures in a row (down, refusing our sender) that stop the run


@dataclass(frozen=True)
class MailConfig:
    sender: str = "Daily Briefing <briefing@localhost>"
    reply_to: str | None = None
    list_id: str = "Daily Briefing <briefing.localhost>"
    unsubscribe_url: str = "http://localhost:8025/unsubscribe/{token}"
    unsubscribe_mailto: str | None = None
    secret: Secret | None = None  # HMAC key for unsubscribe tokens
    secret_file: Path | None = None  # or read the HMAC key from this file
    max_attachment_mb: float = 10.0
    pdf_url: str | None = None  # where a too-big PDF can be read instead; {file} = its file name
    retries: int = 3
    backoff: float = 1.0  # seconds before the first retry; doubles each time, with jitter
    bounce_after: int = 3  # hard failures before an address is marked bounced
    catch_up_days: int = 3  # a send also works through the pending rows of the editions of these days before


@dataclass(frozen=True)
class Config:
    data_dir: Path = Path("data")
    inputs: tuple[Path, ...] = ()  # article files/folders that `daily` and `send` build from
    out_dir: Path = Path("output")
    sections: tuple[SectionDef, ...] = ()
    classify: ClassifyConfig = ClassifyConfig()
    summary: SummaryConfig = SummaryConfig()
    render: RenderConfig = RenderConfig()
    window: WindowConfig = WindowConfig()
    sources: tuple[SourceDef, ...] = ()
    http: HttpConfig = HttpConfig()
    smtp: SmtpConfig = SmtpConfig()
    mail: MailConfig = MailConfig()

    def section(self, section_id: str) -> SectionDef:
        for sec in self.sections:
            if sec.id == section_id:
                return sec
        raise ConfigError(f"unknown section {section_id!r}")


SECRET_KEYS = {("smtp", "password"), ("mail", "secret")}
#: Arrays of tables: a list of whole tables has no form as one environment string.
ARRAY_TABLES = ("sections", "sources")
TABLES = {f.name: f.type for f in fields(Config) if dataclasses.is_dataclass(f.default)}


def load_config(
    path: Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> Config:
    """Build the configuration; ``overrides`` are CLI flags as ``{table: {key: value}}``
    (table ``""`` for top-level keys) and win over everything else."""
    env = os.environ if env is None else env
    if path is None and env.get("BRIEFING_CONFIG"):
        path = Path(env["BRIEFING_CONFIG"])
    data = _read_toml(path) if path else {}
    unknown = set(data) - {f.name for f in fields(Config)}
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}")
    for table, key in SECRET_KEYS:
        if isinstance(data.get(table), Mapping) and key in data[table]:
            raise ConfigError(
                f"{path}: [{table}] {key} may not be written in the config file; "
                f"set {ENV_PREFIX}{table.upper()}_{key.upper()} or {key}_file instead"
            )
    config = Config(
        data_dir=_convert(Path, data.get("data_dir", Config.data_dir), "data_dir"),
        inputs=_convert(tuple[Path, ...], data.get("inputs", ()), "inputs"),
        out_dir=_convert(Path, data.get("out_dir", Config.out_dir), "out_dir"),
        sections=merge_sections(default_sections(), _array_of_tables(data, "sections")),
        sources=tuple(_build(SourceDef, s, f"sources[{i}]") for i, s in enumerate(_array_of_tables(data, "sources"))),
        **{name: _build(_resolve(cls), data.get(name, {}), name) for name, cls in TABLES.items()},
    )
    config = _apply_env(config, env)
    for table, values in (overrides or {}).items():
        config = _override(config, table, values)
    return _read_secret_files(_check_formats(_check_sources(_check_counts(config))))


def _check_counts(config: Config) -> Config:
    """A count under 1 would make a briefing with no key sentences that says nothing was
    found; a threshold outside (0, 1] makes every sentence, or none, a repeat."""
    counts = {"summary.sentences": config.summary.sentences}
    counts.update({f"sections[{s.id}].sentences": s.sentences for s in config.sections if s.sentences is not None})
    for where, count in counts.items():
        if count < 1:
            raise ConfigError(f"{where}: expected 1 or more, not {count}")
    if config.classify.model_weight < 0:
        raise ConfigError(f"classify.model_weight: expected 0 or more, not {config.classify.model_weight}")
    if not 0 < config.summary.dedupe_threshold <= 1:
        raise ConfigError(f"summary.dedupe_threshold: expected more than 0 and at most 1, not {config.summary.dedupe_threshold}")
    return config


#: The least value of each [http] count: no request at all, a negative size or a negative
#: number of redirects would make every fetch fail, or hang, for a reason no message names.
HTTP_MINIMUMS = {"max_bytes": 1, "max_redirects": 0, "concurrency": 1, "per_host": 1, "stale_days": 1, "host_failures": 0,
                 "cache_days": 0}


def _check_sources(config: Config) -> Config:
    """[http] limits that can work, and [[sources]] entries that say what they mean."""
    http = config.http
    for key, least in HTTP_MINIMUMS.items():
        if getattr(http, key) < least:
            raise ConfigError(f"http.{key}: expected {least} or more, not {getattr(http, key)}")
    if not 0 < http.timeout < math.inf:
        raise ConfigError(f"http.timeout: expected a number of seconds more than 0, not {http.timeout}")
    if not 0 <= http.host_budget < math.inf:
        raise ConfigError(f"http.host_budget: expected a number of seconds, 0 or more, not {http.host_budget}")
    section_ids = [s.id for s in config.sections]
    for i, source in enumerate(config.sources):
        for key in ("name", "url"):
            if not getattr(source, key).strip():
                raise ConfigError(f"sources[{i}].{key}: expected a non-empty string")
        if source.limit is not None and source.limit < 1:
            raise ConfigError(f"sources[{i}].limit: expected 1 or more, not {source.limit} (leave it out for no limit)")
        if source.section is not None and source.section not in section_ids:
            raise ConfigError(f"sources[{i}].section: unknown section {source.section!r}; "
                              f"expected one of {', '.join(section_ids)}")
    return config


def _check_formats(config: Config) -> Config:
    """At load, not after the whole pipeline has run: a format render.py cannot make."""
    formats = tuple(dict.fromkeys(f.strip().lower() for f in config.render.formats))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ConfigError(f"render.formats: unknown format {', '.join(map(repr, unknown))} (choose from {', '.join(FORMATS)})")
    if not formats:
        raise ConfigError(f"render.formats: expected one or more of {', '.join(FORMATS)}")
    return replace(config, render=replace(config.render, formats=formats))


def default_sections() -> tuple[SectionDef, ...]:
    """The taxonomy that ships with the package (diplomacy, military, domestic)."""
    text = resources.files("briefing").joinpath(DEFAULT_SECTIONS_RESOURCE).read_text("utf-8")
    return merge_sections((), tomllib.loads(text).get("sections", []))


def merge_sections(base: tuple[SectionDef, ...], entries: list[dict[str, Any]]) -> tuple[SectionDef, ...]:
    """Edit the taxonomy by id: an entry with a known id changes only the keys it names
    (``extra_terms`` adds to the terms, ``remove = true`` drops the section); an unknown id adds one."""
    by_id = {s.id: s for s in base}
    for i, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            raise ConfigError(f"sections[{i}]: expected a table")
        entry = dict(entry)
        if "id" not in entry:
            raise ConfigError(f"sections[{i}]: every section needs an 'id'")
        sid = str(entry.pop("id"))
        if entry.pop("remove", False):
            by_id.pop(sid, None)
            continue
        extra = _terms(entry.pop("extra_terms", {}), f"sections[{i}].extra_terms")
        if "terms" in entry:
            entry["terms"] = _terms(entry["terms"], f"sections[{i}].terms")
        current = by_id.get(sid) or SectionDef(id=sid, title=entry.get("title", sid.title()))
        updated = _build(SectionDef, {**_as_dict(current), **entry}, f"sections[{i}]")
        by_id[sid] = replace(updated, terms={**updated.terms, **extra})
    return tuple(by_id.values())


def _array_of_tables(data: Mapping[str, Any], key: str) -> list[Any]:
    """``[[key]]`` entries; ``key = 5`` would otherwise fail deep inside with a TypeError."""
    value = data.get(key, [])
    if not isinstance(value, list):
        raise ConfigError(f"{key}: expected an array of tables ([[{key}]])")
    return value


def _terms(value: Any, where: str) -> dict[str, float]:
    """Terms may be a table of weights or a plain list (weight 1.0 each)."""
    if isinstance(value, list):
        return {str(t): 1.0 for t in value}
    if isinstance(value, dict):
        try:
            return {str(k): float(v) for k, v in value.items()}
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{where}: term weights must be numbers ({exc})") from None
    raise ConfigError(f"{where}: expected a list of terms or a table of term = weight")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc})") from None


def _apply_env(config: Config, env: Mapping[str, str]) -> Config:
    """``BRIEFING_*`` variables on top of the file; one that names no key is an error, as an
    unknown key in the file is, so a misspelt BRIEFING_SMTP_HOTS is never silently ignored."""
    for name, value in env.items():
        if name in ENV_ALIASES:
            table, key = ENV_ALIASES[name]
            config = _override(config, table, {key: value})
            continue
        if not name.startswith(ENV_PREFIX) or name in ENV_NOT_CONFIG:
            continue
        rest = name[len(ENV_PREFIX):].lower()
        if rest in ARRAY_TABLES:
            raise ConfigError(f"{name}: [[{rest}]] can be set only in the config file")
        if rest in {f.name for f in fields(Config)} and rest not in TABLES:
            config = _override(config, "", {rest: value})
            continue
        table, _, key = rest.partition("_")
        if table in TABLES and key in {f.name for f in fields(_resolve(TABLES[table]))}:
            config = _override(config, table, {key: value})
            continue
        raise ConfigError(f"{name}: unknown environment variable (it names no configuration key){_did_you_mean(name)}")
    return config


def env_names() -> list[str]:
    """Every ``BRIEFING_*`` name that sets a key."""
    top = [f.name for f in fields(Config) if f.name not in TABLES and f.name not in ARRAY_TABLES]
    keyed = [f"{table}_{f.name}" for table, cls in TABLES.items() for f in fields(_resolve(cls))]
    return [*ENV_ALIASES, *(f"{ENV_PREFIX}{key.upper()}" for key in (*top, *keyed))]


def _did_you_mean(name: str) -> str:
    """The nearest known name, compared without the shared prefix (which makes every name look alike)."""
    known = {known.removeprefix(ENV_PREFIX): known for known in env_names()}
    close = difflib.get_close_matches(name.removeprefix(ENV_PREFIX), known, n=1)
    return f"; did you mean {known[close[0]]}?" if close else ""


def _override(config: Config, table: str, values: Mapping[str, Any]) -> Config:
    values = {k: v for k, v in values.items() if v is not None}
    if not values:
        return config
    if not table:
        return replace(config, **{k: _convert(_field_type(Config, k), v, k) for k, v in values.items()})
    current = getattr(config, table)
    return replace(config, **{table: _build(type(current), {**_as_dict(current), **values}, table)})


def _read_secret_files(config: Config) -> Config:
    """Secrets named by a file reference are read once, here, and never shown again."""
    smtp, mail = config.smtp, config.mail
    if smtp.password is None and smtp.password_file is not None:
        smtp = replace(smtp, password=_secret_from(smtp.password_file, "SMTP password file"))
    if mail.secret is None and mail.secret_file is not None:
        mail = replace(mail, secret=_secret_from(mail.secret_file, "mail secret file"))
    return replace(config, smtp=smtp, mail=mail)


def _secret_from(path: Path, what: str) -> Secret:
    try:
        return Secret(path.read_text("utf-8").strip())
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the {what} ({exc.strerror})") from None


def _as_dict(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


def _resolve(cls: Any) -> type:
    return eval(cls, vars(typing), globals()) if isinstance(cls, str) else cls  # noqa: S307 - our own annotations


def _field_type(cls: type, name: str) -> Any:
    return typing.get_type_hints(cls, globals())[name]


def _build(cls: type, values: Mapping[str, Any], where: str) -> Any:
    """A dataclass from a mapping, converting each value to its field's type."""
    if not isinstance(values, Mapping):
        raise ConfigError(f"{where}: expected a table")
    hints = typing.get_type_hints(cls, globals())
    unknown = set(values) - set(hints)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    required = [f.name for f in fields(cls) if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    missing = [name for name in required if name not in values]
    if missing:
        raise ConfigError(f"{where}: missing required key(s) {', '.join(missing)}")
    try:
        return cls(**{k: _convert(hints[k], v, f"{where}.{k}") for k, v in values.items()})
    except TypeError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _convert(tp: Any, value: Any, where: str) -> Any:
    """Coerce TOML values and environment strings to the annotated type."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None or (isinstance(value, str) and value == "" and type(None) in args):
            return None
        return _convert(next(a for a in args if a is not type(None)), value, where)
    _check_kind(tp, value, where)
    try:
        if tp is bool:
            if isinstance(value, str):
                if value.lower() not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                    raise ValueError(value)
                return value.lower() in {"1", "true", "yes", "on"}
            return value
        if origin is tuple:
            items = value.split(",") if isinstance(value, str) else list(value)
            return tuple(_convert(args[0], item.strip() if isinstance(item, str) else item, where) for item in items if item != "")
        if tp in (Secret,):  # str(Secret) is "***": keep a Secret as it is when a later key is overridden
            return value if isinstance(value, Secret) else Secret(str(value))
        if tp in (int, float, str, Path):
            return tp(value)
        if origin in (Mapping, dict) or tp is Mapping:
            return dict(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: cannot use {value!r} as {getattr(tp, '__name__', tp)}") from None
    return value


#: What a scalar field takes from TOML besides a string (environment values are strings,
#: parsed as before); anything else is refused rather than coerced: int(2.9) would silently
#: be 2, a bool is an int to Python, and str(["x", "y"]) would print as a title.
_KINDS: dict[type, tuple[type, ...]] = {bool: (bool,), int: (int,), float: (int, float), str: ()}
_KIND_NAMES = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}


def _check_kind(tp: Any, value: Any, where: str) -> None:
    kinds = _KINDS.get(tp)
    if kinds is None or isinstance(value, str):
        return
    if not isinstance(value, kinds) or (isinstance(value, bool) and tp is not bool):
        raise ConfigError(f"{where}: expected {_KIND_NAMES[tp]}, not {value!r}")
