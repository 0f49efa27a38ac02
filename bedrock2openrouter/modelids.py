"""What a Bedrock model ID or model ARN looks like in text.

Bedrock IDs are ``provider.family-…`` (``anthropic.claude-3-haiku-20240307-v1:0``),
optionally behind a regional inference-profile prefix (``us.``, ``global.``, …) or
inside an ARN. Matching needs the provider *and* the model family, because
``openai.chat`` or ``meta.title`` in ordinary code must not look like a model.

The same patterns serve three places: the workspace's byte prefilter (a file
that matches nothing here and never says "bedrock" is never parsed), the
scanners of every language, and later the rewriting of literals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

REGIONAL_PREFIXES = ("us", "eu", "apac", "global", "jp", "au", "ca", "us-gov")

# provider prefix -> the model families Bedrock serves under it
_FAMILIES: dict[str, str] = {
    "anthropic": "claude",
    "amazon": "titan|nova|rerank",
    "meta": "llama",
    "mistral": "mistral|mixtral|ministral|magistral|devstral|pixtral|voxtral|codestral",
    "cohere": "command|embed|rerank",
    "ai21": "j2|jamba",
    "deepseek": "r1|v3",
    "google": "gemma",
    "minimax": "minimax",
    "moonshot": "kimi",
    "moonshotai": "kimi",
    "nvidia": "nemotron",
    "openai": "gpt",
    "qwen": "qwen",
    "twelvelabs": "pegasus|marengo",
    "writer": "palmyra",
    "xai": "grok",
    "zai": "glm",
    "stability": "sd3|stable",
    "luma": "ray",
}

_PROVIDERS = "|".join(
    f"{re.escape(provider)}\\.(?:{families})" for provider, families in _FAMILIES.items()
)
_PREFIX = "|".join(re.escape(prefix) for prefix in REGIONAL_PREFIXES)

# An ID: optional regional prefix, provider.family, then the rest of the slug (every
# real ID has one: "anthropic.claude" alone is prose). It ends on a letter or digit
# so that sentence punctuation is not swallowed.
MODEL_ID_PATTERN = (
    rf"(?:(?:{_PREFIX})\.)?(?:{_PROVIDERS})(?:[a-z0-9.:-]*[a-z0-9])"
)
_MODEL_ID_RE = re.compile(rf"(?<![\w.:/@-]){MODEL_ID_PATTERN}(?![\w@])")

# ARNs of everything Bedrock can invoke. Region and account may be CloudFormation
# or Terraform interpolations in infrastructure code.
_ARN_PART = r"(?:[a-z0-9-]+|\*|\$\{[^}\s]*\})"
_RESOURCE_TYPES = (
    "foundation-model|inference-profile|application-inference-profile|"
    "provisioned-model|custom-model|imported-model|prompt-router|default-prompt-router"
)
_ARN_RE = re.compile(
    rf"arn:aws(?:-[a-z]+)*:bedrock:(?P<region>{_ARN_PART})?:(?P<account>{_ARN_PART})?:"
    rf"(?P<type>{_RESOURCE_TYPES})/(?P<resource>[A-Za-z0-9._:-]*[A-Za-z0-9])"
)

OPAQUE_ARN_TYPES = frozenset(
    {"application-inference-profile", "provisioned-model", "custom-model", "imported-model",
     "prompt-router", "default-prompt-router"}
)

# Everything a file must contain (as bytes) for any Bedrock finding to exist in it.
# ``modelId`` is boto3's own spelling: a call through a client made in another file.
PREFILTER_RE = re.compile(
    rb"(?i:bedrock)|modelId|" + f"(?<![A-Za-z0-9_])(?:{_PROVIDERS})".encode("ascii")
)


class ModelKind(StrEnum):
    CHAT = "chat"
    EMBEDDING = "embedding"
    RERANK = "rerank"
    IMAGE = "image"
    VIDEO = "video"
    SPEECH = "speech"


_KIND_MARKERS: tuple[tuple[re.Pattern[str], ModelKind], ...] = (
    (re.compile(r"rerank"), ModelKind.RERANK),
    (re.compile(r"embed"), ModelKind.EMBEDDING),
    (re.compile(r"^stability\.|titan-image|nova-canvas"), ModelKind.IMAGE),
    (re.compile(r"nova-reel|^luma\."), ModelKind.VIDEO),
    (re.compile(r"sonic"), ModelKind.SPEECH),
)


def strip_regional_prefix(model_id: str) -> str:
    head, dot, rest = model_id.partition(".")
    if dot and head in REGIONAL_PREFIXES and "." in rest:
        return rest
    return model_id


def guess_kind(model_id: str) -> ModelKind:
    """The kind of model an ID names, from the family name alone."""
    base = strip_regional_prefix(model_id)
    for pattern, kind in _KIND_MARKERS:
        if pattern.search(base):
            return kind
    return ModelKind.CHAT


@dataclass(frozen=True, slots=True)
class ModelReference:
    """A model ID or ARN found in text; ``start``/``end`` are offsets into that text."""

    start: int
    end: int
    text: str
    model_id: str | None  # the ID an ARN names; None for opaque ARNs
    arn_type: str | None  # None for a plain ID

    @property
    def is_arn(self) -> bool:
        return self.arn_type is not None

    @property
    def is_opaque(self) -> bool:
        return self.arn_type in OPAQUE_ARN_TYPES


def find_model_references(text: str) -> list[ModelReference]:
    """Every Bedrock model ID and model ARN in ``text``, in order, without overlaps."""
    found: list[ModelReference] = []
    taken: list[tuple[int, int]] = []
    for match in _ARN_RE.finditer(text):
        arn_type = match["type"]
        resource = match["resource"]
        model_id = None
        if arn_type not in OPAQUE_ARN_TYPES and _MODEL_ID_RE.fullmatch(resource):
            model_id = resource
        if model_id is None and arn_type not in OPAQUE_ARN_TYPES:
            continue  # e.g. foundation-model/* in an IAM resource: not one model
        found.append(ModelReference(match.start(), match.end(), match.group(), model_id, arn_type))
        taken.append((match.start(), match.end()))
    for match in _MODEL_ID_RE.finditer(text):
        if any(start <= match.start() < end for start, end in taken):
            continue
        found.append(ModelReference(match.start(), match.end(), match.group(), match.group(), None))
    found.sort(key=lambda ref: ref.start)
    return found


# What a provider's model ID cannot do without: literal searches are far cheaper than the pattern.
_PROVIDER_LITERALS = tuple(f"{provider}.".encode("ascii") for provider in _FAMILIES)
# Words one of which every file `PREFILTER_RE` accepts holds, in some case (for a case-blind first search).
PREFILTER_WORDS = ("bedrock", "modelid", *(literal.decode("ascii") for literal in _PROVIDER_LITERALS))


def may_mention_bedrock(data: bytes) -> bool:
    """The cheap test every file passes through before anything parses it: `PREFILTER_RE`, answered fast.

    ``bedrock`` (any case) and ``modelId`` are literal searches; the provider
    pattern runs only on a file that holds one of the provider names it starts with.
    """
    if b"modelId" in data or b"bedrock" in data.lower():
        return True
    return any(literal in data for literal in _PROVIDER_LITERALS) and PREFILTER_RE.search(data) is not None
