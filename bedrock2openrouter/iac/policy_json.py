"""Raw IAM policy JSON files, plus the node helpers every infrastructure format shares.

Every format is reduced to PyYAML nodes (`yaml.compose` reads YAML and, as a YAML
subset, JSON; Terraform converts its HCL tree into the same node classes), so
finding statements, classifying them and building findings is written once, here.

Positions: a node's ``start_mark.index`` / ``end_mark.index`` are character offsets
into ``SourceFile.text`` (nothing else of a mark is used). A finding's span is
``[start, end)``: ``line``/``column`` is the first character of the statement node,
``end_line``/``end_column`` the position just past its last character, both 1-based
(the SARIF convention). The span covers the statement itself: a YAML ``- `` marker,
a separating comma and comments around it are outside it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator

import yaml
import yaml.reader
from yaml.error import Mark
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..findings import Finding, ParseFailure, make_finding
from ..workspace import SourceFile
from .statements import StatementKind, classify_statement, describe

STR_TAG = "tag:yaml.org,2002:str"
MARKETPLACE_RULE = "B2O603"
# Findings that show the file grants (or makes AWS grant) Bedrock access: only then
# is a Marketplace statement there for Bedrock.
_BEDROCK_GRANT_RULES = frozenset({"B2O601", "B2O602", "B2O604", "B2O605", "B2O305"})

# libyaml's marks count characters too (checked with CRLF and astral characters), and it is ~6x faster.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MANAGED_POLICY_RE = re.compile(r"\bAmazonBedrock\w*")
_RUNTIME_ENDPOINT_RE = re.compile(r"(?:^|\.)bedrock-runtime(?:-fips)?$", re.IGNORECASE)
# A Step Functions optimised Bedrock integration, also inside !Sub / ${partition} ARNs.
_SFN_TASK_RE = re.compile(r"arn:[^\"'\s]*?:states:::bedrock:[A-Za-z]\w*(?:\.\w+)*", re.IGNORECASE)


# -- parsing -------------------------------------------------------------------


def load_nodes(text: str, *, is_json: bool = False, keys: frozenset[str] | None = None) -> list[Node]:
    """Every document of a YAML or JSON text as position-carrying nodes.

    JSON is validated by `json` first (its errors are clearer, and it is fast: a
    JSON document whose top level has none of ``keys`` is not composed at all,
    so a big ``package-lock.json`` costs little), then composed by YAML with tabs
    turned into spaces: valid JSON has tabs only between tokens, and the
    replacement keeps every offset.
    """
    if is_json:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ParseFailure(f"invalid JSON: {error.msg}", error.lineno, error.colno) from None
        if keys is not None and not (isinstance(data, dict) and keys & data.keys()):
            return []
        text = text.replace("\t", " ")
    try:
        return [node for node in yaml.compose_all(text, Loader=_LOADER) if node is not None]
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = " ".join(part for part in (error.context, error.problem) if part)
        raise ParseFailure(
            f"invalid {'JSON' if is_json else 'YAML'}: {problem}",
            mark.line + 1 if mark else None,
            mark.column + 1 if mark else None,
        ) from None
    except (yaml.reader.ReaderError, UnicodeEncodeError) as error:  # control characters, bytes that are not UTF-8
        offset = error.position if isinstance(error, yaml.reader.ReaderError) else error.start
        line, column = text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)
        raise ParseFailure("unreadable character (not UTF-8, or a control character)", line, column) from None
    except yaml.YAMLError as error:
        raise ParseFailure(f"invalid {'JSON' if is_json else 'YAML'}: {error}") from None


def load_nodes_at(text: str, base: int) -> Node | None:
    """One embedded JSON document (a Terraform heredoc) whose text starts at offset ``base``.

    Returns None when the text is not JSON: heredocs may hold anything.
    """
    try:
        nodes = load_nodes(text, is_json=True)
    except ParseFailure:
        return None
    if not nodes:
        return None
    _shift(nodes[0], base, set())
    return nodes[0]


def _shift(node: Node, base: int, seen: set[int]) -> None:
    if id(node) in seen:
        return
    seen.add(id(node))
    node.start_mark = mark_at(node.start_mark.index + base)
    node.end_mark = mark_at(node.end_mark.index + base)
    children = node.value if isinstance(node, (MappingNode, SequenceNode)) else ()
    for child in children:
        for part in child if isinstance(child, tuple) else (child,):
            _shift(part, base, seen)


def mark_at(index: int) -> Mark:
    """A mark that carries only the character offset, the one field this package reads."""
    return Mark("", index, 0, 0, None, None)


# -- node access -----------------------------------------------------------------


def get(node: Node | None, key: str, *, fold: bool = False) -> Node | None:
    """The value of ``key`` in a mapping node (case-insensitively with ``fold``), else None."""
    for value in values(node, key, fold=fold):
        return value
    return None


def values(node: Node | None, key: str, *, fold: bool = False) -> Iterator[Node]:
    """Every value of ``key`` in a mapping node: HCL repeats block names as keys."""
    if not isinstance(node, MappingNode):
        return
    wanted = key.lower() if fold else key
    for key_node, value in node.value:
        if isinstance(key_node, ScalarNode) and (key_node.value.lower() if fold else key_node.value) == wanted:
            yield value


def items(node: Node | None) -> list[Node]:
    """A sequence's items; a lone node counts as a one-item list (IAM allows both)."""
    if node is None:
        return []
    return list(node.value) if isinstance(node, SequenceNode) else [node]


def text_value(node: Node | None) -> str | None:
    """The value of a plain string scalar (no `!Ref`/`!Sub`, no HCL expression)."""
    if isinstance(node, ScalarNode) and node.tag == STR_TAG:
        return node.value
    return None


def scalar_values(node: Node | None) -> Iterator[str]:
    """Every scalar value below a node, tagged ones included (`!Sub`, `Fn::Join` pieces); keys excluded."""
    if isinstance(node, ScalarNode):
        yield node.value
    elif isinstance(node, SequenceNode):
        for item in node.value:
            yield from scalar_values(item)
    elif isinstance(node, MappingNode):
        for _, value in node.value:
            yield from scalar_values(value)


def span(source: SourceFile, node: Node) -> tuple[int, int]:
    """``[start, end)`` character offsets of a node.

    A block-style YAML collection's end mark lies at the next token, past blank
    lines and comments, so its end is taken from its last child instead.
    """
    last = node
    while isinstance(last, (MappingNode, SequenceNode)) and not last.flow_style and last.value:
        tail = last.value[-1]
        last = tail[1] if isinstance(tail, tuple) else tail
    end = last.end_mark.index
    while end > node.start_mark.index and source.text[end - 1].isspace():
        end -= 1  # block scalars end after their line breaks
    return node.start_mark.index, end


# -- findings ----------------------------------------------------------------------


def finding(source: SourceFile, code: str, start: int, end: int, message: str | None = None) -> Finding:
    line, column = source.position(start)
    end_line, end_column = source.position(end)
    return make_finding(code, source.relpath, line, column, message, end_line=end_line, end_column=end_column)


def node_finding(source: SourceFile, code: str, message: str | None, node: Node) -> Finding:
    return finding(source, code, *span(source, node), message)


def policy_statements(document: Node | None) -> Iterator[Node]:
    """The statement nodes of a policy document (or of a bare ``Statement`` value).

    CloudFormation conditions (``!If [cond, stmt, !Ref AWS::NoValue]`` or
    ``{"Fn::If": [...]}``) are looked through.
    """
    statements = get(document, "Statement", fold=True) if isinstance(document, MappingNode) else document
    for item in items(statements):
        condition = item if item.tag == "!If" else get(item, "Fn::If")
        for statement in items(condition)[1:] if condition is not None else [item]:
            if isinstance(statement, MappingNode):
                yield statement


def statement_actions(statement: Node) -> list[str] | None:
    """The literal actions a statement grants, or None when it is no grant to classify.

    Keys match case-insensitively and with or without ``_``/plural, so IAM JSON
    (``Action``), Terraform policy documents (``actions``) and lower-case
    hand-written YAML all read the same. ``NotAction`` and ``Deny`` statements are
    skipped: removing them would widen, not narrow, access.
    """
    keys = {key.value.lower().replace("_", ""): value for key, value in statement.value if isinstance(key, ScalarNode)}
    if "notaction" in keys or "notactions" in keys:
        return None
    if (text_value(keys.get("effect")) or "").lower() == "deny":
        return None
    actions = keys.get("action", keys.get("actions"))
    if actions is None:
        return None
    return [value for value in map(text_value, items(actions)) if value is not None]


def grant(statement: Node) -> tuple[str, str] | None:
    """Rule code and message for one statement, or None when it grants nothing Bedrock-related.

    A Marketplace-only statement gets B2O603 provisionally; `resolve_marketplace`
    drops it again when the file grants no Bedrock access.
    """
    actions = statement_actions(statement)
    if not actions:
        return None
    verdict = classify_statement(actions)
    code = MARKETPLACE_RULE if verdict.kind is StatementKind.MARKETPLACE else verdict.rule
    return (code, describe(verdict)) if code else None


def statement_findings(source: SourceFile, statements: Iterable[Node]) -> list[Finding]:
    """One finding per statement node that grants Bedrock (or Marketplace) actions."""
    return [node_finding(source, *result, statement) for statement in statements if (result := grant(statement))]


def managed_policy_message(values: Iterable[str]) -> str | None:
    """The message for a B2O605 finding when one of ``values`` names an ``AmazonBedrock*`` policy."""
    for value in values:
        if match := _MANAGED_POLICY_RE.search(value):
            return f"AWS managed policy {match.group()} is attached: detach it once nothing uses Bedrock"
    return None


def managed_policy_findings(source: SourceFile, nodes: Iterable[Node]) -> list[Finding]:
    """B2O605 for each node that names an ``AmazonBedrock*`` AWS managed policy."""
    return [
        node_finding(source, "B2O605", message, node)
        for node in nodes
        if (message := managed_policy_message(scalar_values(node)))
    ]


ENDPOINT_MESSAGE = "VPC endpoint for bedrock-runtime: OpenRouter needs outbound internet (NAT) instead"


def is_runtime_endpoint(service_name: str) -> bool:
    """``com.amazonaws.<region>.bedrock-runtime`` (or ``-fips``), however the region is spelled."""
    return _RUNTIME_ENDPOINT_RE.search(service_name) is not None


def endpoint_findings(source: SourceFile, service_name: Node | None) -> list[Finding]:
    """B2O307 when an interface VPC endpoint's service name is ``…bedrock-runtime``."""
    if service_name is None or not any(map(is_runtime_endpoint, scalar_values(service_name))):
        return []
    return [node_finding(source, "B2O307", ENDPOINT_MESSAGE, service_name)]


def task_message(action: str) -> str:
    return f"Step Functions task calls Bedrock directly ({action}): replace it with a Lambda that calls OpenRouter"


def task_findings(source: SourceFile, start: int, end: int) -> list[Finding]:
    """B2O305 for each Bedrock service-integration ARN in ``text[start:end]``.

    A text search, so a definition written as an object, a JSON string, a YAML
    block scalar or a `!Sub` is found the same way, each at its exact place.
    """
    return [
        finding(source, "B2O305", match.start(), match.end(), task_message(match.group().rsplit(":", 1)[1]))
        for match in _SFN_TASK_RE.finditer(source.text, start, end)
    ]


def resolve_marketplace(findings: Iterable[Finding]) -> list[Finding]:
    """Keep Marketplace statements only in a file that also grants Bedrock; sort and deduplicate.

    YAML aliases can reach one node twice, hence the deduplication.
    """
    unique = sorted(set(findings))
    if any(item.rule in _BEDROCK_GRANT_RULES for item in unique):
        return unique
    return [item for item in unique if item.rule != MARKETPLACE_RULE]


# -- raw IAM policy files ------------------------------------------------------------


def is_policy_document(root: Node) -> bool:
    """A top-level ``Statement`` list or object, optionally with ``Version``."""
    return isinstance(get(root, "Statement"), (SequenceNode, MappingNode))


def analyze(source: SourceFile, root: Node) -> list[Finding]:
    """Findings of a raw IAM policy document (``{"Version": ..., "Statement": [...]}``)."""
    return statement_findings(source, policy_statements(root))
