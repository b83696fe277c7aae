"""detector: find and strip promotional, advertorial and boilerplate paragraphs in scraped text.

>>> import detector
>>> det = detector.load()                      # the shipped model
>>> res = det.clean(text)                      # doctest: +SKIP
>>> res.text, [p.text for p in res.removed]    # doctest: +SKIP
>>> detector.clean(text)                       # doctest: +SKIP  (str in, str out)
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path

from .allocator import tune_malloc
from .clean import CleanResult, Detector, Paragraph
from .model import BoilerplateModel, ModelError
from .segment import Span, segment

__version__ = "1.0.0"
__all__ = ["load", "clean", "Detector", "CleanResult", "Paragraph", "BoilerplateModel",
           "ModelError", "segment", "Span", "default_model_path", "card_path", "tune_malloc",
           "__version__"]

MODEL_NAME = "detector.npz"


def default_model_path() -> Path:
    """The shipped model: package data when installed, ``models/`` in a source checkout."""
    try:
        packaged = resources.files("detector.models") / MODEL_NAME
        if packaged.is_file():
            return Path(str(packaged))
    except (ModuleNotFoundError, TypeError):
        pass
    return Path(__file__).resolve().parent.parent / "models" / MODEL_NAME


def card_path(model_path: str | Path) -> Path:
    """Where the machine-readable model card of ``model_path`` lives (``X.npz`` -> ``X.card.json``)."""
    p = Path(model_path)
    return p.with_name(p.name.removesuffix(".npz") + ".card.json")


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def load(path: str | Path | None = None, *, threshold: float | None = None,
         trust: bool = False) -> Detector:
    """Load a detector: the shipped model by default, else the model file at ``path``.

    The model file's sha256 is checked against its model card (``X.card.json`` beside it)
    before anything is read; a mismatch is refused unless ``trust=True``. Model files are
    arrays + JSON read without pickle, so no model file can run code.
    """
    model_path = Path(path) if path is not None else default_model_path()
    if not model_path.is_file():
        hint = "" if path is not None else " (train one with `detector train`)"
        raise ModelError(f"{model_path}: model file not found{hint}")
    card_file = card_path(model_path)
    if card_file.is_file():
        try:
            expected = json.loads(card_file.read_text(encoding="utf-8")).get("model_sha256")
        except (json.JSONDecodeError, UnicodeDecodeError, AttributeError) as exc:
            raise ModelError(f"{card_file}: unreadable model card: {exc}") from None
        if expected and not trust and file_sha256(model_path) != expected:
            raise ModelError(f"{model_path}: sha256 does not match its model card {card_file.name};"
                             f" the file was changed or damaged (pass trust=True / --trust-model "
                             f"to load it anyway)")
    elif path is None and not trust:
        raise ModelError(f"{card_file}: model card of the shipped model is missing")
    model = BoilerplateModel.load(model_path)
    return Detector(model, threshold, model_path)


_DEFAULT: Detector | None = None


def clean(text: str) -> str:
    """Cleaned ``text`` using the shipped model (loaded once, on first use)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load()
    return _DEFAULT.clean(text).text
