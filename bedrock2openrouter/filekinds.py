"""The one table that says what kind of file a path holds.

The engine, the infrastructure analysers, the snippets and the artefacts all
ask `kind_of`; nothing else looks at file names. Most kinds follow from the
name. YAML, JSON and ``.template`` files are recognised by what they hold (a
CloudFormation template is one whatever it is called): their parse is
memoised, so sniffing costs nothing the analysis would not pay anyway.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import PurePosixPath

from .findings import ParseFailure


class FileKind(StrEnum):
    PYTHON = "python"
    NOTEBOOK = "notebook"
    TYPESCRIPT = "typescript"
    JAVASCRIPT = "javascript"
    CLOUDFORMATION = "cloudformation"
    SAM = "sam"
    SERVERLESS = "serverless"
    TERRAFORM = "terraform"
    IAM_JSON = "iam-json"
    STEP_FUNCTIONS = "step-functions"
    TEXT = "text"  # any other text: only its model IDs matter
    DOCUMENT = "document"  # prose: describes what was, never rewritten

    @property
    def is_infrastructure(self) -> bool:
        return self in _INFRASTRUCTURE


_INFRASTRUCTURE = frozenset({FileKind.CLOUDFORMATION, FileKind.SAM, FileKind.SERVERLESS, FileKind.TERRAFORM,
                             FileKind.IAM_JSON, FileKind.STEP_FUNCTIONS})
# Infrastructure kinds read as YAML/JSON documents (Terraform has a parser of its own).
DOCUMENT_KINDS = _INFRASTRUCTURE - {FileKind.TERRAFORM}

PYTHON_SUFFIXES = frozenset({".py", ".pyi", ".pyw"})
TYPESCRIPT_SUFFIXES = frozenset({".ts", ".tsx", ".mts", ".cts"})
JAVASCRIPT_SUFFIXES = frozenset({".js", ".jsx", ".mjs", ".cjs"})
_PROSE_SUFFIXES = frozenset({".md", ".mdx", ".markdown", ".rst", ".adoc"})
# Names whose content decides: a CloudFormation template may be called anything of these.
_STRUCTURED_ENDINGS = (".json", ".yaml", ".yml", ".template", ".json.tpl", ".json.tmpl")
_YAML_ENDINGS = (".yaml", ".yml")
SERVERLESS_NAMES = frozenset({"serverless.yml", "serverless.yaml", "serverless.json"})
# A JSON document is composed (for positions) only when its top level has one of these.
_TOP_LEVEL_KEYS = frozenset({"AWSTemplateFormatVersion", "Resources", "service", "provider", "Statement", "StartAt"})
# Names that are infrastructure whatever they hold: failing to parse them is an error.
_INFRASTRUCTURE_NAMES = frozenset({*SERVERLESS_NAMES, "template.yaml", "template.yml", "template.json"})
# Text that marks an unparsable YAML/JSON file as meant to be infrastructure (otherwise it is
# someone else's format, e.g. a Helm template, and simply not ours).
_INFRASTRUCTURE_MARKERS = re.compile(
    r"AWSTemplateFormatVersion|AWS::|\bStatement\b|iamRoleStatements|\"StartAt\"|\bStartAt:")


def _name(relpath: str) -> str:
    return PurePosixPath(relpath).name.lower()


def is_python_path(relpath: str) -> bool:
    """Decided by the name alone: the walk asks it of every file, before reading (PEP 263 decoding)."""
    name = relpath.rpartition("/")[2]
    dot = name.rfind(".")
    return 0 < dot < len(name) - 1 and name[dot:].lower() in PYTHON_SUFFIXES  # PurePosixPath's suffix rule


def is_json(relpath: str, text: str) -> bool:
    """How a structured file is read: JSON by name, or by its first character when the name says neither."""
    name = _name(relpath)
    return name.endswith(".json") or (not name.endswith(_YAML_ENDINGS) and text.lstrip().startswith(("{", "[")))


def grammar_of(relpath: str) -> str:
    """The tree-sitter grammar of a TypeScript or JavaScript file."""
    suffix = PurePosixPath(relpath).suffix.lower()
    if suffix == ".tsx":
        return "tsx"
    if suffix in TYPESCRIPT_SUFFIXES:
        return "typescript"
    if suffix in JAVASCRIPT_SUFFIXES:
        return "javascript"  # the JavaScript grammar includes JSX
    raise ValueError(f"not a TypeScript or JavaScript file: {relpath!r}")


def documents(relpath: str, text: str) -> list:
    """The YAML/JSON documents of a structured file, as position-carrying nodes (memoised parse)."""
    from .iac.nodes import load_nodes

    return load_nodes(text, is_json=is_json(relpath, text), keys=_TOP_LEVEL_KEYS)


def kind_of(relpath: str, text: str) -> FileKind:
    """The kind of the file at ``relpath`` holding ``text``."""
    name = _name(relpath)
    suffix = PurePosixPath(name).suffix
    if suffix in PYTHON_SUFFIXES:
        return FileKind.PYTHON
    if suffix == ".ipynb":
        return FileKind.NOTEBOOK
    if suffix in TYPESCRIPT_SUFFIXES:
        return FileKind.TYPESCRIPT
    if suffix in JAVASCRIPT_SUFFIXES:
        return FileKind.JAVASCRIPT
    if name.endswith((".tf", ".tf.json")):
        return FileKind.TERRAFORM
    if suffix in _PROSE_SUFFIXES:
        return FileKind.DOCUMENT
    if name.endswith(_STRUCTURED_ENDINGS):
        return _structured_kind(relpath, name, text)
    return FileKind.TEXT


def _structured_kind(relpath: str, name: str, text: str) -> FileKind:
    try:
        roots = documents(relpath, text)
    except ParseFailure:
        templated = name.endswith((".tpl", ".tmpl"))  # Terraform templatefile() input: `${...}` may break JSON
        if not templated and (name in _INFRASTRUCTURE_NAMES or name.endswith(".template")
                              or _INFRASTRUCTURE_MARKERS.search(text)):
            return _kind_by_markers(name, text)  # infrastructure that does not parse: its analysis says why
        return FileKind.TEXT
    for root in roots:
        kind = document_kind(name, root)
        if kind is not None:
            return kind
    return FileKind.TEXT


def document_kind(name: str, root) -> FileKind | None:
    """The infrastructure kind of one YAML/JSON document, or None when it is none of ours."""
    from .iac.nodes import MappingNode, get

    if name in SERVERLESS_NAMES or (get(root, "service") is not None and isinstance(get(root, "provider"), MappingNode)):
        return FileKind.SERVERLESS
    if _serverless_transform(root):
        return FileKind.SAM
    if is_template(root):
        return FileKind.CLOUDFORMATION
    if get(root, "StartAt") is not None and get(root, "States") is not None:
        return FileKind.STEP_FUNCTIONS  # an ASL definition (SAM ``DefinitionUri``)
    if is_policy_document(root):
        return FileKind.IAM_JSON
    return None


def is_template(root) -> bool:
    """``AWSTemplateFormatVersion``, or a ``Resources`` mapping with an ``AWS::`` typed resource."""
    from .iac.nodes import MappingNode, get, text_value

    if get(root, "AWSTemplateFormatVersion") is not None:
        return True
    resources = get(root, "Resources")
    return isinstance(resources, MappingNode) and any(
        (text_value(get(resource, "Type")) or "").startswith("AWS::") for _, resource in resources.value
    )


def _serverless_transform(root) -> bool:
    """``Transform: AWS::Serverless-2016-10-31``, alone or in a list."""
    from .iac.nodes import get, items, text_value

    return any((text_value(item) or "").startswith("AWS::Serverless") for item in items(get(root, "Transform")))


def is_policy_document(root) -> bool:
    """A top-level ``Statement`` list or object, optionally with ``Version``."""
    from .iac.nodes import MappingNode, SequenceNode, get

    return isinstance(get(root, "Statement"), (SequenceNode, MappingNode))


def _kind_by_markers(name: str, text: str) -> FileKind:
    if name in SERVERLESS_NAMES or "iamRoleStatements" in text:
        return FileKind.SERVERLESS
    if ("AWSTemplateFormatVersion" in text or "AWS::" in text or name.startswith("template.")
            or name.endswith(".template")):
        return FileKind.SAM if "AWS::Serverless" in text else FileKind.CLOUDFORMATION
    if "StartAt" in text:
        return FileKind.STEP_FUNCTIONS
    return FileKind.IAM_JSON
