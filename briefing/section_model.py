"""A learned cue for the section classifier: multinomial logistic regression on word stems.

The hand-written terms of ``sections.toml`` name the topics of each section, but news often
tells its main event in words no list foresees ("Ankara summoned Stockholm's envoy", "The
quake struck off the coast at a depth of 10 km"). A linear model over the stems and stem
pairs of a few thousand sentences labelled for this project (``training/sections/``, written
and labelled by us by the rules of the taxonomy) catches much of that, and it stays what the
classifier must be: small, offline, explainable (the stems that pushed a sentence towards
its section are shown as its evidence) and linear in the number of sentences.

The classifier adds ``weight × probability`` of each class it knows to the rules' evidence,
"other" at half that (``classify.model_cues``); sections the model was not trained on get
nothing from it.
Training is deterministic (L-BFGS from zero weights), so the shipped model can be rebuilt
from the committed sentences with ``briefing train``.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
from scipy import sparse

from . import nlp
from .config import ClassifyConfig
from .errors import ConfigError

__all__ = ["Learned", "SectionModel", "builtin_model", "configured", "features", "load_model", "train"]

FORMAT = 1
BUILTIN = "lexicon/sections-model.json.gz"
#: Inverse regularisation strength (scikit-learn's C): chosen by cross-validation across our
#: training files (README "Sections").
STRENGTH = 8.0
#: A feature must occur in this many training sentences to be learned at all: one sentence's
#: words are its topic, not a section's.
MIN_COUNT = 2
#: Weights smaller than this are not stored: they change no probability in the third decimal.
PRUNE = 1e-3
DECIMALS = 4
#: Stems shown as the model's evidence for a placement.
EXPLAINED = 3


@dataclass(frozen=True)
class SectionModel:
    """Classes, their biases, and one weight row per feature (stem or "stem stem" pair)."""

    classes: tuple[str, ...]
    bias: np.ndarray
    weights: Mapping[str, np.ndarray]

    def __post_init__(self) -> None:
        # the rows as one matrix, so a sentence's evidence is one fancy-indexed sum
        object.__setattr__(self, "_rows", {f: i for i, f in enumerate(self.weights)})
        matrix = np.array(list(self.weights.values())) if self.weights else np.zeros((0, len(self.classes)))
        object.__setattr__(self, "_matrix", matrix.reshape(len(self.weights), len(self.classes)))

    def probabilities(self, text: str) -> dict[str, float]:
        """P(class | sentence): softmax of the bias plus the weight rows of its features
        (binary features, scaled to unit length)."""
        found = features(text)
        rows = [self._rows[f] for f in found if f in self._rows]
        logits = self.bias + (self._matrix[rows].sum(axis=0) / np.sqrt(len(found)) if rows else 0.0)
        exp = np.exp(logits - logits.max())
        return dict(zip(self.classes, (exp / exp.sum()).tolist()))

    def strongest(self, text: str, label: str, count: int = EXPLAINED) -> list[str]:
        """The features that pushed the sentence most towards ``label``."""
        k = self.classes.index(label)
        ranked = sorted((f for f in features(text) if f in self._rows), key=lambda f: -self.weights[f][k])
        return [f for f in ranked[:count] if self.weights[f][k] > 0]


@dataclass(frozen=True)
class Learned:
    """The model as the classifier uses it: each class's probability counts ``weight``
    times as much as a term of weight 1 (0 leaves the decision to terms and rules)."""

    model: SectionModel
    weight: float


@lru_cache(maxsize=1024)
def features(text: str) -> tuple[str, ...]:
    """The sentence's distinct content-word stems (those with a letter: numbers and dates
    name no section) and adjacent stem pairs, in order of first appearance. The last few
    are remembered: the classifier asks again, to explain its choice, right after."""
    stems = [s for s in nlp.stems(text) if any(c.isalpha() for c in s)]
    pairs = [f"{a} {b}" for a, b in zip(stems, stems[1:])]
    return tuple(dict.fromkeys([*stems, *pairs]))


# --- training ------------------------------------------------------------------------


def train(examples: Iterable[tuple[str, str]], strength: float = STRENGTH) -> SectionModel:
    """Fit the model on (text, label) pairs: L2-regularised cross-entropy, minimised by
    L-BFGS from zero weights (deterministic for the same examples)."""
    from scipy import optimize  # only training needs it, and it is slow to import

    pairs = list(examples)
    texts, labels = (tuple(t for t, _ in pairs), tuple(label for _, label in pairs))
    classes = tuple(sorted(set(labels)))
    if len(classes) < 2:
        raise ConfigError("training needs labelled sentences of at least two sections")
    found = [features(t) for t in texts]
    vocabulary = kept_features(found)
    design = design_matrix(found, vocabulary)
    targets = np.zeros((len(labels), len(classes)))
    targets[np.arange(len(labels)), [classes.index(label) for label in labels]] = 1.0
    solution = optimize.minimize(
        loss_and_gradient, np.zeros((len(vocabulary) + 1) * len(classes)),
        args=(design, targets, strength), jac=True, method="L-BFGS-B",
        options={"maxiter": 2000, "gtol": 1e-6},
    )
    matrix = solution.x.reshape(len(vocabulary) + 1, len(classes))
    weights = {f: np.round(matrix[i], DECIMALS) for f, i in vocabulary.items() if np.abs(matrix[i]).max() >= PRUNE}
    return SectionModel(classes, np.round(matrix[-1], DECIMALS), weights)


def kept_features(found: Sequence[Sequence[str]]) -> dict[str, int]:
    counts = Counter(f for sentence in found for f in sentence)
    kept = sorted(f for f, n in counts.items() if n >= MIN_COUNT)
    return {f: i for i, f in enumerate(kept)}


def design_matrix(found: Sequence[Sequence[str]], vocabulary: Mapping[str, int]) -> sparse.csr_matrix:
    """One row per sentence: its known features at 1/sqrt(its feature count), plus a
    constant column for the bias. Unknown features still count in the length, as at
    prediction time (``SectionModel.probabilities``)."""
    rows, columns, values = [], [], []
    for row, sentence in enumerate(found):
        known = [vocabulary[f] for f in sentence if f in vocabulary]
        scale = 1.0 / np.sqrt(len(sentence)) if sentence else 0.0
        rows.extend([row] * (len(known) + 1))
        columns.extend([*known, len(vocabulary)])
        values.extend([scale] * len(known) + [1.0])
    return sparse.csr_matrix((values, (rows, columns)), shape=(len(found), len(vocabulary) + 1))


def loss_and_gradient(flat: np.ndarray, design: sparse.csr_matrix, targets: np.ndarray,
                      strength: float) -> tuple[float, np.ndarray]:
    """strength × cross-entropy + ½‖W‖² (the bias row unregularised), and its gradient."""
    weights = flat.reshape(design.shape[1], targets.shape[1])
    logits = design @ weights
    logits -= logits.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(logits).sum(axis=1, keepdims=True))
    probabilities = np.exp(logits - log_norm)
    penalised = weights.copy()
    penalised[-1] = 0.0
    loss = -strength * float((targets * (logits - log_norm)).sum()) + 0.5 * float((penalised**2).sum())
    gradient = strength * (design.T @ (probabilities - targets)) + penalised
    return loss, np.asarray(gradient).ravel()


# --- storage -------------------------------------------------------------------------


def model_json(model: SectionModel) -> str:
    """The model as JSON, one feature a line, so that ``zcat`` of two models diffs readably."""
    rows = ",\n".join(f"{json.dumps(f)}: {json.dumps(w.tolist())}" for f, w in sorted(model.weights.items()))
    head = {"format": FORMAT, "classes": list(model.classes), "bias": model.bias.tolist()}
    return json.dumps(head)[:-1] + ', "weights": {\n' + rows + "\n}}\n"


def save_bytes(model: SectionModel) -> bytes:
    """Gzipped JSON, with no time stamp in the header so the same model is the same bytes."""
    return gzip.compress(model_json(model).encode("utf-8"), mtime=0)


def parse_model(data: bytes, where: str) -> SectionModel:
    try:
        raw = json.loads(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)
        classes = tuple(str(c) for c in raw["classes"])
        bias = np.array(raw["bias"], dtype=float)
        weights = {str(f): np.array(w, dtype=float) for f, w in raw["weights"].items()}
    except (OSError, EOFError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{where}: not a section model ({type(exc).__name__}: {exc})") from None
    if raw.get("format") != FORMAT or bias.shape != (len(classes),) or any(w.shape != bias.shape for w in weights.values()):
        raise ConfigError(f"{where}: not a section model of format {FORMAT} with one weight per class")
    return SectionModel(classes, bias, weights)


def load_model(path: Path) -> SectionModel:
    try:
        return parse_model(path.read_bytes(), str(path))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the section model ({exc.strerror})") from None


def configured(config: ClassifyConfig) -> Learned | None:
    """The learned cue the configuration asks for, or None when it is switched off."""
    if not config.model_weight:
        return None
    return Learned(load_model(config.model) if config.model else builtin_model(), config.model_weight)


@lru_cache(maxsize=1)
def builtin_model() -> SectionModel:
    """The model that ships with the package, trained on ``training/sections/``."""
    return parse_model(resources.files("briefing").joinpath(BUILTIN).read_bytes(), BUILTIN)
