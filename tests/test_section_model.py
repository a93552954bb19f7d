"""The classifier's learned cue (section_model.py): training on sentences written here, its
storage, how the classifier uses it, the `briefing train` command, and that the shipped
model is what the committed training sentences make."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from briefing import section_model
from briefing.classify import MODEL_OTHER_SHARE, classify, sentence_scores
from briefing.cli import main
from briefing.config import ClassifyConfig, SectionDef, default_sections, load_config
from briefing.errors import ConfigError
from briefing.evaluation.sections import read_labelled
from briefing.models import Article, Sentence
from briefing.section_model import Learned, SectionModel, features, train

ROOT = Path(__file__).resolve().parent.parent
TRAINING = sorted((ROOT / "training" / "sections").glob("*.jsonl"))

EXAMPLES = [
    ("The ambassador was summoned to the foreign ministry over the remarks.", "diplomacy"),
    ("Envoys of the two governments met for a second day of talks.", "diplomacy"),
    ("The minister flew to the capital to meet his counterpart and the ambassador.", "diplomacy"),
    ("Artillery shelled the town overnight and troops advanced on the ridge.", "military"),
    ("Troops fired artillery at rebel positions near the border.", "military"),
    ("The shelling killed four soldiers, the army said.", "military"),
    ("Shares rose on the exchange after the quarterly results.", "other"),
    ("The company said quarterly sales rose as shares gained.", "other"),
    ("Investors bought shares after the results.", "other"),
]


def test_features_are_content_stems_and_adjacent_pairs_without_numbers() -> None:
    found = features("Troops shelled 12 villages, and troops shelled again in 2024.")
    assert found[:3] == ("troop", "shell", "villag")
    assert "troop shell" in found and "shell villag" in found
    assert not any(any(c.isdigit() for c in f) for f in found)
    assert len(found) == len(set(found))


def test_training_learns_each_class_and_is_deterministic() -> None:
    model = train(EXAMPLES, strength=10.0)
    assert model.classes == ("diplomacy", "military", "other")
    best = lambda text: max(model.probabilities(text).items(), key=lambda kv: kv[1])[0]  # noqa: E731
    assert best("The ambassador held talks with envoys.") == "diplomacy"
    assert best("Troops shelled the ridge.") == "military"
    assert best("Shares fell after the results.") == "other"
    assert sum(model.probabilities("Nothing known here at all.").values()) == pytest.approx(1.0)
    assert section_model.save_bytes(train(EXAMPLES, strength=10.0)) == section_model.save_bytes(model)


def test_strongest_features_explain_the_pull_towards_a_class() -> None:
    model = train(EXAMPLES, strength=10.0)
    why = model.strongest("The ambassador was summoned as troops shelled the border.", "diplomacy")
    assert why and set(why) <= {"ambassador", "summon", "ambassador summon"}
    assert model.strongest("Unrelated words only.", "diplomacy") == []


def test_training_needs_two_labels() -> None:
    with pytest.raises(ConfigError, match="two sections"):
        train([("Troops advanced.", "military")] * 3)


def test_saved_model_loads_back_and_bad_files_name_themselves(tmp_path: Path) -> None:
    model = train(EXAMPLES, strength=10.0)
    path = tmp_path / "model.json.gz"
    path.write_bytes(section_model.save_bytes(model))
    loaded = section_model.load_model(path)
    assert loaded.classes == model.classes and set(loaded.weights) == set(model.weights)
    text = "Envoys met the ambassador."
    assert loaded.probabilities(text) == pytest.approx(model.probabilities(text))
    plain = tmp_path / "model.json"
    plain.write_bytes(gzip.decompress(path.read_bytes()))  # plain JSON is accepted too
    assert section_model.load_model(plain).classes == model.classes
    for name, content in [("junk.gz", b"\x1f\x8bnot gzip"), ("list.json", b"[]"),
                          ("short.json", json.dumps({"format": 1, "classes": ["a", "b"], "bias": [0.0],
                                                     "weights": {}}).encode())]:
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ConfigError, match=name.replace(".", r"\.")):
            section_model.load_model(tmp_path / name)
    with pytest.raises(ConfigError, match="cannot read"):
        section_model.load_model(tmp_path / "absent.json.gz")


def fixed_model(weights: dict[str, list[float]]) -> SectionModel:
    classes = ("diplomacy", "military", "domestic", "other")
    return SectionModel(classes, np.zeros(4), {f: np.array(w, dtype=float) for f, w in weights.items()})


def test_a_confident_other_from_the_model_does_not_outvote_a_sections_term_alone() -> None:
    """A strike is domestic by its term; a model sure it is "other" (as ours is of many
    sentences without section words) would win at full weight (2 × 0.97 against 1)."""
    text = "Up to 100,000 workers were affected by the strike."
    model = fixed_model({"affect": [0.0, 0.0, 0.0, 12.0]})
    assert model.probabilities(text)["other"] > 0.95
    sentence = Sentence("a", 0, 0, text)
    placement = classify(Article("a", "", (text,)), [sentence], default_sections(), Learned(model, 2.0))[0]
    assert placement.section == "domestic"


def test_classifier_adds_weight_times_probability_and_shows_why() -> None:
    """The model's "other" counts at MODEL_OTHER_SHARE: the rules already file a sentence
    without section words as vague, so that part of P(other) is not counted twice."""
    text = "The delegation left on Tuesday."
    model = fixed_model({"deleg": [4.0, 0.0, 0.0, 0.0]})
    sections = default_sections()
    rules = sentence_scores(text, sections)
    with_model = sentence_scores(text, sections, Learned(model, 2.0))
    probabilities = model.probabilities(text)
    for sid in ("diplomacy", "military", "domestic"):
        assert with_model[sid] == pytest.approx(rules[sid] + 2.0 * probabilities[sid])
    assert with_model["other"] == pytest.approx(rules["other"] + 2.0 * MODEL_OTHER_SHARE * probabilities["other"])
    assert 0 < MODEL_OTHER_SHARE < 1
    sentence = Sentence("a", 0, 0, text)
    placement = classify(Article("a", "", (text,)), [sentence], sections, Learned(model, 2.0))[0]
    assert placement.section == "diplomacy"
    assert any(e.startswith("model:deleg(diplomacy ") for e in placement.evidence)
    assert sentence_scores(text, sections, Learned(model, 0.0)) == rules


def test_sections_the_model_does_not_know_get_nothing_from_it() -> None:
    sections = (SectionDef("sport", "Sport", terms={"goal": 1.0}), SectionDef("military", "Military", terms={}))
    model = fixed_model({"goal": [0.0, 0.0, 0.0, 5.0]})
    scores = sentence_scores("A late goal won it.", sections, Learned(model, 2.0))
    assert scores["sport"] == pytest.approx(1.0)  # its own term only
    assert scores["military"] == pytest.approx(2.0 * model.probabilities("A late goal won it.")["military"])


def test_config_switches_the_model_off_or_points_to_another(tmp_path: Path) -> None:
    assert section_model.configured(ClassifyConfig(model_weight=0.0)) is None
    shipped = section_model.configured(ClassifyConfig())
    assert shipped is not None and shipped.model is section_model.builtin_model()
    path = tmp_path / "mine.json.gz"
    path.write_bytes(section_model.save_bytes(train(EXAMPLES, strength=10.0)))
    config = load_config(None, env={"BRIEFING_CLASSIFY_MODEL": str(path), "BRIEFING_CLASSIFY_MODEL_WEIGHT": "1.5"})
    mine = section_model.configured(config.classify)
    assert mine is not None and mine.weight == 1.5 and mine.model.classes == ("diplomacy", "military", "other")
    with pytest.raises(ConfigError, match="model_weight"):
        load_config(None, env={"BRIEFING_CLASSIFY_MODEL_WEIGHT": "-1"})


def test_train_command_writes_a_model_the_classifier_uses(tmp_path: Path) -> None:
    data = tmp_path / "labels.jsonl"
    data.write_text("".join(json.dumps({"text": t, "section": s}) + "\n" for t, s in EXAMPLES), "utf-8")
    out = tmp_path / "models" / "mine.json.gz"
    result = CliRunner().invoke(main, ["train", str(data), "--out", str(out), "--strength", "10"])
    assert result.exit_code == 0, result.output
    assert "9 sentences (diplomacy 3, military 3, other 3)" in result.output
    assert section_model.load_model(out).classes == ("diplomacy", "military", "other")
    config = tmp_path / "briefing.toml"
    config.write_text(f'[classify]\nmodel = "{out}"\n', "utf-8")
    result = CliRunner().invoke(main, ["eval", "sections", str(data), "--config", str(config)])
    assert result.exit_code == 0, result.output
    missing = tmp_path / "missing.toml"
    missing.write_text(f'[classify]\nmodel = "{tmp_path / "none.json.gz"}"\n', "utf-8")
    result = CliRunner().invoke(main, ["eval", "sections", str(data), "--config", str(missing)])
    assert result.exit_code == 2 and "none.json.gz" in result.output and "Traceback" not in result.output


def test_shipped_model_is_what_the_committed_training_sentences_make() -> None:
    """Retraining on training/sections/ gives the shipped model: same features, weights
    equal to the stored precision (other CPUs may differ in the last bits of L-BFGS)."""
    records = [r for path in TRAINING for r in read_labelled(path)]
    assert len(records) >= 3000
    retrained = train([(r.text, r.section) for r in records])
    shipped = section_model.builtin_model()
    assert retrained.classes == shipped.classes
    zero = np.zeros(len(shipped.classes))
    for f in set(retrained.weights) | set(shipped.weights):  # a weight at the pruning edge may be kept on one side
        assert np.abs(retrained.weights.get(f, zero) - shipped.weights.get(f, zero)).max() < 2e-3, f
    assert np.allclose(retrained.bias, shipped.bias, atol=2e-3)
