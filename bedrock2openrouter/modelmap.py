"""The model table: which OpenRouter model a Bedrock model ID becomes.

The packaged ``model_map.yaml`` is the default; a user file (``--model-map``, or
``model_map`` in ``[tool.bedrock2openrouter]``) overrides rows by ``bedrock_id``
and adds new ones, e.g. for an application inference profile ARN.

An input is resolved in a fixed order, first hit wins: the exact row; the ID an
ARN names (foundation-model, inference-profile); without its regional prefix;
without a Provisioned Throughput context suffix (``:28k``); then the version
fallbacks (``:0``, ``-v1``, ``-v1:0``, ``-1:0`` added or removed). A ``:1`` or
``:2`` is never dropped blindly: ``anthropic.claude-v2`` and
``anthropic.claude-v2:1`` are different models, and Mistral's ``v0:2`` is v0.2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .findings import Finding
from .modelids import OPAQUE_ARN_TYPES, REGIONAL_PREFIXES, ModelKind, guess_kind


class ModelMapError(ValueError):
    """A model map file is unreadable or malformed; the message names the file, row and field."""


class Resolution(StrEnum):
    EXACT = "exact"
    APPROXIMATE = "approximate"
    REPLACED = "replaced"  # the exact OpenRouter model is retired: its live replacement is used
    NO_EQUIVALENT = "no-equivalent"
    OPAQUE = "opaque"  # an ARN that hides the model (application profile, provisioned, custom, imported)
    UNKNOWN = "unknown"


NEEDS_ATTENTION = frozenset({Resolution.NO_EQUIVALENT, Resolution.OPAQUE, Resolution.UNKNOWN})

_KINDS = {kind.value for kind in (ModelKind.CHAT, ModelKind.EMBEDDING, ModelKind.IMAGE, ModelKind.RERANK, ModelKind.SPEECH)}
_MATCHES = {"exact", "approximate"}
_STATUSES = {"live", "retired"}
_ROW_FIELDS = {"bedrock_id", "kind", "openrouter_id", "match", "status", "replacement", "context", "price", "note"}

_ARN_RE = re.compile(
    r"^arn:aws(?:-[a-z]+)*:bedrock:[a-z0-9-]*:(?:\d{12})?:(?P<type>[a-z-]+)/(?P<resource>.+)$"
)
_PROVISIONED_SUFFIX_RE = re.compile(r"^(?P<base>.+?):(?P<context>\d+k)$")
_TRAILING_VERSION_RE = re.compile(r"^(?P<base>.+-v\d+):(?P<version>\d+)$")


@dataclass(frozen=True, slots=True)
class Price:
    """USD per 1M tokens; embedding models have no output price, some image models no input price."""

    input: float | None
    output: float | None


@dataclass(frozen=True, slots=True)
class ModelRow:
    bedrock_id: str
    kind: str
    openrouter_id: str | None
    match: str | None = None
    status: str | None = None
    replacement: str | None = None
    context: dict[str, int] = field(default_factory=dict)
    price: dict[str, Price] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True, slots=True)
class ModelResolution:
    input: str
    normalized: str | None  # the table row's bedrock_id, or the ID the input names when no row matched
    kind: str | None
    status: Resolution
    openrouter_id: str | None
    note: str
    row: ModelRow | None = None
    steps: tuple[str, ...] = ()  # how the input was normalised, for people reading `models show`

    def to_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "normalized": self.normalized,
            "kind": self.kind,
            "status": self.status.value,
            "openrouter_id": self.openrouter_id,
            "note": self.note,
        }


class ModelMap:
    def __init__(self, rows: dict[str, ModelRow], snapshot: dict[str, str]) -> None:
        self.rows = rows
        self.snapshot = snapshot

    @classmethod
    def load(cls, user_file: Path | None = None) -> ModelMap:
        """The packaged table, with the rows of ``user_file`` overriding and adding."""
        packaged = packaged_model_map()
        if user_file is None:
            return packaged
        rows = dict(packaged.rows)
        rows.update(_read_rows(user_file))
        return cls(rows, packaged.snapshot)

    def kind_of(self, model_id: str) -> str:
        """The kind of model an ID names: from its row, else guessed from the family name."""
        resolution = self.resolve(model_id)
        return resolution.kind or guess_kind(model_id).value

    def resolve(self, text: str, *, keep_retired: bool = False) -> ModelResolution:
        text = text.strip()
        steps: list[str] = []
        row = self.rows.get(text)
        candidate = text
        if row is None:
            arn = _ARN_RE.match(text)
            if arn is not None:
                if arn["type"] in OPAQUE_ARN_TYPES:
                    return ModelResolution(
                        text, None, None, Resolution.OPAQUE, None,
                        f"A {arn['type']} ARN names an account-specific resource, not a model: "
                        "add a row for it to a --model-map file.",
                    )
                candidate = arn["resource"]
                steps.append(f"{arn['type']} ARN")
            row, candidate = self._lookup(candidate, steps)
        if row is None:
            return ModelResolution(
                text, candidate, None, Resolution.UNKNOWN, None,
                "Not in the model table: add a row to a --model-map file.", steps=tuple(steps),
            )
        return _resolution_of(text, row, keep_retired, tuple(steps))

    def _lookup(self, candidate: str, steps: list[str]) -> tuple[ModelRow | None, str]:
        if candidate in self.rows:
            return self.rows[candidate], candidate
        head, dot, rest = candidate.partition(".")
        if dot and head in REGIONAL_PREFIXES and "." in rest:
            candidate = rest
            steps.append(f"regional prefix {head}.")
            if candidate in self.rows:
                return self.rows[candidate], candidate
        provisioned = _PROVISIONED_SUFFIX_RE.match(candidate)
        if provisioned is not None:
            candidate = provisioned["base"]
            steps.append(f"Provisioned Throughput suffix :{provisioned['context']}")
            if candidate in self.rows:
                return self.rows[candidate], candidate
            # The base of a provisioned ID carries the model's minor version (cohere.command-text-v14:7);
            # only here, after the exact lookup failed, may it go.
            versioned = _TRAILING_VERSION_RE.match(candidate)
            if versioned is not None and versioned["base"] in self.rows:
                steps.append(f"provisioned version :{versioned['version']}")
                return self.rows[versioned["base"]], versioned["base"]
        for fallback, step in _version_fallbacks(candidate):
            if fallback in self.rows:
                steps.append(step)
                return self.rows[fallback], fallback
        return None, candidate

    def rows_of_kind(self, kind: str | None) -> list[ModelRow]:
        return [row for row in sorted(self.rows.values(), key=lambda r: r.bedrock_id) if kind in (None, row.kind)]


def _version_fallbacks(candidate: str) -> list[tuple[str, str]]:
    """Spellings of the same model that differ only in a ``v1``/``:0`` suffix the draft documents."""
    fallbacks = []
    if candidate.endswith(":0"):
        fallbacks.append((candidate[:-2], "without :0"))
    for suffix in ("-v1:0", "-v1", "-1:0"):
        if candidate.endswith(suffix):
            fallbacks.append((candidate[: -len(suffix)], f"without {suffix}"))
    if re.search(r"-v\d+$", candidate):
        fallbacks.append((candidate + ":0", "with :0"))
    elif re.search(r"\d", candidate.partition(".")[2]) and not re.search(r":\d+$", candidate):
        fallbacks += [(candidate + "-v1:0", "with -v1:0"), (candidate + "-v1", "with -v1"), (candidate + "-1:0", "with -1:0")]
    return fallbacks


def _resolution_of(text: str, row: ModelRow, keep_retired: bool, steps: tuple[str, ...]) -> ModelResolution:
    if row.openrouter_id is None:
        return ModelResolution(text, row.bedrock_id, row.kind, Resolution.NO_EQUIVALENT, None, row.note, row, steps)
    if row.status == "retired" and not keep_retired:
        note = f"{row.openrouter_id} is retired on OpenRouter; using {row.replacement}. {row.note}".strip()
        return ModelResolution(text, row.bedrock_id, row.kind, Resolution.REPLACED, row.replacement, note, row, steps)
    status = Resolution.APPROXIMATE if row.match == "approximate" else Resolution.EXACT
    note = row.note
    if row.status == "retired":
        note = f"Kept on request although {row.openrouter_id} is retired on OpenRouter. {row.note}".strip()
    return ModelResolution(text, row.bedrock_id, row.kind, status, row.openrouter_id, note, row, steps)


# -- loading and validation --------------------------------------------------------------


@lru_cache(maxsize=1)
def packaged_model_map() -> ModelMap:
    text = resources.files(__package__).joinpath("model_map.yaml").read_text(encoding="utf-8")
    document = _parse_document(text, "model_map.yaml (packaged)")
    snapshot = {key: str(value) for key, value in (document.get("snapshot") or {}).items()}
    return ModelMap(_rows_of(document, "model_map.yaml (packaged)"), snapshot)


def _read_rows(path: Path) -> dict[str, ModelRow]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ModelMapError(f"model map {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ModelMapError(f"model map {path}: cannot be read: {error}") from None
    return _rows_of(_parse_document(text, str(path)), str(path))


# libyaml's safe loader when PyYAML was built with it: the packaged table loads in every run.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse_document(text: str, name: str) -> dict[str, Any]:
    try:
        document = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ModelMapError(f"model map {name}:{where} is not valid YAML") from None
    if not isinstance(document, dict) or not isinstance(document.get("models"), list):
        raise ModelMapError(f"model map {name}: expected a mapping with a 'models' list")
    return document


def _rows_of(document: dict[str, Any], name: str) -> dict[str, ModelRow]:
    rows: dict[str, ModelRow] = {}
    for number, raw in enumerate(document["models"], start=1):
        row = _validate_row(raw, f"model map {name}: row {number}")
        if row.bedrock_id in rows:
            raise ModelMapError(f"model map {name}: row {number}: bedrock_id {row.bedrock_id!r} appears twice")
        rows[row.bedrock_id] = row
    return rows


def _validate_row(raw: Any, where: str) -> ModelRow:
    if not isinstance(raw, dict):
        raise ModelMapError(f"{where}: expected a mapping of fields")
    bedrock_id = raw.get("bedrock_id")
    if not isinstance(bedrock_id, str) or not bedrock_id.strip():
        raise ModelMapError(f"{where}: field 'bedrock_id' is required and must be a string")
    where = f"{where} ({bedrock_id})"
    unknown = sorted(set(raw) - _ROW_FIELDS)
    if unknown:
        raise ModelMapError(f"{where}: unknown field {unknown[0]!r} (known: {', '.join(sorted(_ROW_FIELDS))})")

    def choice(key: str, allowed: set[str], default: str | None) -> str | None:
        value = raw.get(key, default)
        if value is not None and value not in allowed:
            raise ModelMapError(f"{where}: field {key!r} must be one of {', '.join(sorted(allowed))}, not {value!r}")
        return value

    def optional_string(key: str) -> str | None:
        value = raw.get(key)
        if value is not None and not isinstance(value, str):
            raise ModelMapError(f"{where}: field {key!r} must be a string or null")
        return value

    if "openrouter_id" not in raw:
        raise ModelMapError(f"{where}: field 'openrouter_id' is required (null when OpenRouter has no equivalent)")
    openrouter_id = optional_string("openrouter_id")
    kind = choice("kind", _KINDS, "chat")
    has_target = openrouter_id is not None
    match = choice("match", _MATCHES, "exact" if has_target else None)
    status = choice("status", _STATUSES, "live" if has_target else None)
    replacement = optional_string("replacement")
    if status == "retired" and replacement is None:
        raise ModelMapError(f"{where}: field 'replacement' is required when status is retired")
    note = raw.get("note") or ""
    if not isinstance(note, str):
        raise ModelMapError(f"{where}: field 'note' must be a string")
    return ModelRow(bedrock_id.strip(), kind, openrouter_id, match, status, replacement,
                    _context(raw.get("context"), where), _prices(raw.get("price"), where), note)


def _context(raw: Any, where: str) -> dict[str, int]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(side in ("bedrock", "openrouter") and isinstance(v, int) for side, v in raw.items()):
        raise ModelMapError(f"{where}: field 'context' must map bedrock/openrouter to whole numbers of tokens")
    return dict(raw)


def _prices(raw: Any, where: str) -> dict[str, Price]:
    if raw is None:
        return {}
    message = f"{where}: field 'price' must map bedrock/openrouter to {{input: N, output: N}} (USD per 1M tokens)"
    if not isinstance(raw, dict):
        raise ModelMapError(message)
    prices = {}
    for side, value in raw.items():
        if side not in ("bedrock", "openrouter") or not isinstance(value, dict) or not value:
            raise ModelMapError(message)
        if set(value) - {"input", "output"} or not all(_is_number(v) for v in value.values()):
            raise ModelMapError(message)
        prices[side] = Price(value.get("input"), value.get("output"))
    return prices


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0


def resolve_findings(findings: list[Finding], model_map: ModelMap) -> list[tuple[Finding, ModelResolution]]:
    """Each model ID or ARN a scan found, with what the table makes of it."""
    return [(finding, model_map.resolve(finding.subject)) for finding in findings if finding.subject is not None]
