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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import yaml
import yaml.reader
from yaml.error import Mark
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..findings import Finding, ParseFailure, make_finding
from ..workspace import SourceFile
from .edits import SpanEdit
from .spans import (
    Deletion,
    Dialect,
    RemovalPlan,
    Slot,
    entry_deletions,
    merge,
    node_end,
)
from .statements import (
    StatementKind,
    classify_statement,
    describe,
    is_invoke_action,
    is_marketplace_action,
)

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
    """``[start, end)`` character offsets of a node (see `spans.node_end` for where it ends)."""
    return node.start_mark.index, node_end(source.text, node)


def index_of(mapping: Node | None, key: str) -> int | None:
    """The position of ``key`` among a mapping node's entries, else None."""
    if isinstance(mapping, MappingNode):
        for index, (key_node, _) in enumerate(mapping.value):
            if isinstance(key_node, ScalarNode) and key_node.value == key:
                return index
    return None


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
    keys = _statement_keys(statement)
    if "notaction" in keys or "notactions" in keys:
        return None
    if (text_value(keys.get("effect")) or "").lower() == "deny":
        return None
    actions = keys.get("action", keys.get("actions"))
    if actions is None:
        return None
    return [value for value in map(text_value, items(actions)) if value is not None]


def _statement_keys(statement: Node) -> dict[str, Node]:
    """A statement's values by normalised key: ``Action``, ``actions`` and ``not_actions`` all read alike."""
    return {key.value.lower().replace("_", ""): value for key, value in statement.value if isinstance(key, ScalarNode)}


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


def removal_scopes(root: Node, dialect: Dialect) -> list[Scope]:
    """A raw policy file's statements. It stays a policy: when every statement would go, none does.

    (The findings remain, for a person to delete the file and whatever reads
    it, which the file itself cannot show.)
    """
    scope = statement_scope(get(root, "Statement", fold=True), dialect)
    return [scope] if scope is not None else []


# -- removal edits, shared by every format ------------------------------------------------

_INVOCATION_RULES = frozenset({"B2O601", "B2O602"})
# Service principals that call Bedrock themselves with the role they assume: Step Functions
# (Bedrock tasks), Bedrock (Knowledge Bases, Agents, Flows). Their grants outlive the migration.
# `states.amazonaws.com`, `states.us-east-1.amazonaws.com`, `!Sub states.${AWS::Region}.amazonaws.com`,
# `!Sub bedrock.${AWS::URLSuffix}`, `"states.${data.aws_region.current.name}.amazonaws.com"`.
_BEDROCK_CALLER_RE = re.compile(
    r"(?<![\w.-])(?:states|bedrock)\.(?:[^\s\"'/,.]+\.)*(?:amazonaws\.com|\$\{AWS::URLSuffix\})", re.IGNORECASE
)


_REMOVABLE_RULES = frozenset({*_INVOCATION_RULES, MARKETPLACE_RULE})


def trusts_bedrock_caller(text: str) -> bool:
    """True when a trust policy (or any text of one) names Step Functions or Bedrock as a service principal."""
    return _BEDROCK_CALLER_RE.search(text) is not None


@dataclass(frozen=True, slots=True)
class Scope:
    """The statements of one policy document, and what goes with them once they have all gone.

    The statements' container, emptied, is removed as ``chain[0]``; that entry's
    container, emptied in turn, as ``chain[1]``; and so on. Past the end of the
    chain nothing may be emptied, so the removals that would do it are declined.
    """

    statements: tuple[tuple[Node, Slot], ...]  # each statement node and the entry it occupies
    dialect: Dialect  # of the statements and their action lists
    chain: tuple[Slot, ...] = ()
    principal: str | None = None
    members: frozenset[int] | None = None  # the entries of the statements' container that count; None: all


def statement_scope(
    statements: Node | None, dialect: Dialect, chain: Sequence[Slot] = (), principal: str | None = None
) -> Scope | None:
    """The scope of a ``Statement`` value: a list, or one statement object (which goes as ``chain[0]``).

    Only direct list items are statements here: one inside ``!If`` cannot be
    removed without rewriting the condition, so it stays (and stays reported).
    """
    if isinstance(statements, SequenceNode):
        entries = tuple(
            (item, Slot(statements, index, dialect))
            for index, item in enumerate(statements.value)
            if isinstance(item, MappingNode)
        )
        return Scope(entries, dialect, tuple(chain), principal)
    if isinstance(statements, MappingNode) and chain:
        return Scope(((statements, chain[0]),), dialect, tuple(chain[1:]), principal)
    return None


@dataclass(frozen=True, slots=True)
class _Removed:
    finding: Finding
    start: int
    end: int
    actions: tuple[str, ...]
    principal: str | None
    alone: bool  # the entry removed is the statement itself, not a policy or resource that holds only it


def grant_removal_edits(
    source: SourceFile,
    scopes: Iterable[Scope | None],
    findings: Iterable[Finding],
    roots: Sequence[Node],
    compose: Callable[[str], list[Node]],
    expand: Callable[[Node], Node | None] | None = None,
) -> list[SpanEdit]:
    """The deletions that take a file's Bedrock invocation grants (and the Marketplace statements serving them) out.

    ``findings`` are the file's (`analyze`): a statement is touched only when
    its finding is among them, so a Marketplace statement goes only where the
    scan tied it to Bedrock. Every edit is checked before it is proposed: the
    text it leaves must ``compose`` into ``roots`` minus exactly the entries it
    removes (``expand`` opens scalars that hold a document, Terraform
    heredocs); one that does not is not proposed.
    """
    found = set(findings)
    invocation = any(item.rule in _INVOCATION_RULES for item in found)
    plan = RemovalPlan()
    removed: dict[tuple[int, int], _Removed] = {}
    proposals: list[tuple[SpanEdit, frozenset[tuple[int, int]]]] = []
    seen: set[int] = set()
    text = source.text
    for scope in scopes:
        if scope is None or not scope.statements:
            continue
        plan.register(scope.statements[0][1].container, scope.chain[0] if scope.chain else None, scope.members)
        for slot, up in zip(scope.chain, (*scope.chain[1:], None)):
            plan.register(slot.container, up)
        for statement, slot in scope.statements:
            if id(statement) in seen or (result := grant(statement)) is None:
                continue
            seen.add(id(statement))
            found_here = node_finding(source, *result, statement)
            if found_here not in found or found_here.rule not in _REMOVABLE_RULES:
                continue
            actions, invoke, whole = _removable_actions(statement, invocation)
            if whole:
                plan.mark(slot)
                entry = slot.container.value[slot.index]
                alone = (entry[1] if isinstance(entry, tuple) else entry) is statement
                literals = tuple(filter(None, map(text_value, items(actions))))
                removed[slot.key] = _Removed(found_here, *span(source, statement), literals, scope.principal, alone)
            elif invoke and isinstance(actions, SequenceNode):
                proposal = _action_edit(text, actions, invoke, scope, found_here)
                if proposal is not None:
                    proposals.append(proposal)
    by_container: dict[int, list[Slot]] = {}
    for slot in plan.resolve():
        by_container.setdefault(id(slot.container), []).append(slot)
    for slots in by_container.values():
        deletions = entry_deletions(text, slots[0].container, slots[0].dialect, [slot.index for slot in slots])
        for slot in slots if deletions is not None else ():
            proposal = _slot_edit(slot, deletions[slot.index], removed)
            if proposal is not None:
                proposals.append(proposal)
    return _checked(text, proposals, roots, compose, expand)


def _removable_actions(statement: Node, invocation: bool) -> tuple[Node | None, list[int], bool]:
    """The statement's ``Action`` value, the positions of its invocation actions, and whether it goes whole.

    It goes whole when every action is a literal invocation or Marketplace
    action (Marketplace-only statements only in a file that grants invocation);
    a ``!Ref``/``${var}`` action, or any other action, keeps it.
    """
    keys = _statement_keys(statement)
    actions = keys.get("action", keys.get("actions"))
    literals = [text_value(entry) for entry in items(actions)]
    invoke = [index for index, value in enumerate(literals) if value is not None and is_invoke_action(value)]
    rest = [value for index, value in enumerate(literals) if index not in invoke]
    only_marketplace = all(value is not None and is_marketplace_action(value) for value in rest)
    return actions, invoke, only_marketplace and bool(invoke or invocation)


def _action_edit(
    text: str, actions: SequenceNode, invoke: list[int], scope: Scope, finding: Finding
) -> tuple[SpanEdit, frozenset[tuple[int, int]]] | None:
    """One edit taking the invocation actions out of a statement that keeps others."""
    deletions = entry_deletions(text, actions, scope.dialect, invoke)
    if deletions is None:
        return None
    gone = [actions.value[index].value for index in invoke]
    kept = [entry.value for index, entry in enumerate(actions.value) if index not in invoke and isinstance(entry, ScalarNode)]
    deletion = merge(text, list(deletions.values()))
    description = f"removed {', '.join(gone)} from a statement that keeps {', '.join(kept) or 'its other actions'}"
    edit = SpanEdit(deletion.start, deletion.end, deletion.replacement, finding, description, scope.principal)
    return edit, frozenset((id(actions), index) for index in invoke)


def _slot_edit(
    slot: Slot, deletion: Deletion, removed: dict[tuple[int, int], _Removed]
) -> tuple[SpanEdit, frozenset[tuple[int, int]]] | None:
    """The edit for one outermost removed entry: a statement, or a container its statements emptied."""
    covered = sorted(
        (item for item in removed.values() if deletion.start <= item.start and item.end <= deletion.end),
        key=lambda item: item.start,
    )
    if not covered:
        return None
    first = covered[0]
    own = removed.get(slot.key)
    if own is not None and own.alone:
        if first.finding.rule == MARKETPLACE_RULE:
            description = (
                f"removed AWS Marketplace statement ({', '.join(own.actions)}) that existed for Bedrock model access"
            )
        else:
            description = f"removed IAM statement granting {', '.join(own.actions)}"
    else:
        actions = list(dict.fromkeys(action for item in covered for action in item.actions))
        description = f"removed {slot.label or 'the policy'}: its statements only granted {', '.join(actions)}"
    edit = SpanEdit(deletion.start, deletion.end, deletion.replacement, first.finding, description, first.principal)
    return edit, frozenset({slot.key})


def _checked(
    text: str,
    proposals: list[tuple[SpanEdit, frozenset[tuple[int, int]]]],
    roots: Sequence[Node],
    compose: Callable[[str], list[Node]],
    expand: Callable[[Node], Node | None] | None,
) -> list[SpanEdit]:
    """The proposals that leave exactly the intended document, alone and all together.

    A deletion that would change anything else (a misjudged indentation, a
    comma, an alias) is not proposed; if the set as a whole fails the check,
    nothing is.
    """

    def leaves_expected(edited: str, skip: frozenset[tuple[int, int]]) -> bool:
        try:
            after = compose(edited)
        except ParseFailure:
            return False
        expected = [signature(root, skip, expand) for root in roots]
        return expected == [signature(root, frozenset(), expand) for root in after]

    kept: list[tuple[SpanEdit, frozenset[tuple[int, int]]]] = []
    for edit, skip in sorted(proposals, key=lambda proposal: (proposal[0].start, proposal[0].end)):
        if kept and kept[-1][0].end > edit.start:
            continue  # overlapping proposals: keep the first (never expected)
        if leaves_expected(text[: edit.start] + edit.replacement + text[edit.end :], skip):
            kept.append((edit, skip))
    edited = text
    for edit, _ in reversed(kept):
        edited = edited[: edit.start] + edit.replacement + edited[edit.end :]
    if kept and not leaves_expected(edited, frozenset().union(*(skip for _, skip in kept))):
        return []
    return [edit for edit, _ in kept]


def signature(
    node: Node, skip: frozenset[tuple[int, int]], expand: Callable[[Node], Node | None] | None = None
) -> tuple:
    """What a node means, positions aside, without the entries in ``skip`` (``(id(container), index)``)."""
    active: set[int] = set()

    def walk(current: Node) -> tuple:
        if id(current) in active:
            return ("recursive",)
        if isinstance(current, ScalarNode):
            inner = expand(current) if expand is not None else None
            return ("scalar", current.tag, current.value) if inner is None else ("document", walk(inner))
        active.add(id(current))
        kept = [entry for index, entry in enumerate(current.value) if (id(current), index) not in skip]
        if isinstance(current, SequenceNode):
            result: tuple = ("sequence", current.tag, tuple(walk(entry) for entry in kept))
        else:
            result = ("mapping", current.tag, tuple((walk(key), walk(value)) for key, value in kept))
        active.discard(id(current))
        return result

    return walk(node)
