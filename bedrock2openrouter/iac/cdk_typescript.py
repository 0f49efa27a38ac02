"""CDK TypeScript/JavaScript stacks: Bedrock grants and Bedrock-only constructs, on an existing parse.

Names are resolved with `javascript.parser.Imports`, so ``aws-cdk-lib/aws-iam``,
``{ aws_iam as iam }`` from ``aws-cdk-lib``, ``cdk.aws_iam`` and CDK v1's
``@aws-cdk/aws-iam`` read the same. Statement forms:

- ``new iam.PolicyStatement({ actions: [...] })``;
- ``iam.PolicyStatement.fromJson({ Action: ... })`` and ``iam.Grant.addToPrincipal*({ actions })``;
- policy JSON objects under a ``Statement`` key (``PolicyDocument.fromJson``, ``CfnPolicy``,
  ``CfnRole`` inline policies, plain objects).

Actions may name a ``const`` of the same file (``actions: BEDROCK_ACTIONS`` or a spread of
it); other non-literal elements are ignored. ``Deny`` and ``notActions`` statements are
skipped, as in every other format. Classification, messages and the Marketplace rule come
from `iac.statements` and `iac.policy_json`, shared with the other formats. A finding spans
the whole expression (first character to just past the last), so ARNs inside it belong to it.

`removal_edits` turns the invocation grants into deletions (`edits.SpanEdit`). Its layout
rules work on text offsets only (`plan_removals`, `member_deletions`, `extend_whole_lines`),
so `cdk_python` feeds libcst positions through the same ones.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Protocol, TypeVar

from tree_sitter import Node

from ..edits import SpanEdit
from ..findings import Finding
from ..javascript.parser import Origin, ParsedSource, first_argument, parse, unwrap
from ..workspace import SourceFile
from .grants import (
    ENDPOINT_MESSAGE,
    is_runtime_endpoint,
    managed_policy_message,
    resolve_marketplace,
    task_message,
)
from .removal import trusts_bedrock_caller
from .rules import actions_removed, finding_for, grants_invocation, statement_removed
from .rules import scope as removal_scope
from .statements import StatementVerdict, classify_statement, is_invoke_action

T = TypeVar("T")

_IAM = ("aws-cdk-lib/aws-iam", "@aws-cdk/aws-iam")
_EC2 = ("aws-cdk-lib/aws-ec2", "@aws-cdk/aws-ec2")
_SFN_TASKS = ("aws-cdk-lib/aws-stepfunctions-tasks", "@aws-cdk/aws-stepfunctions-tasks")
_SFN = ("aws-cdk-lib/aws-stepfunctions", "@aws-cdk/aws-stepfunctions")


def _origins(modules: tuple[str, ...], *names: str) -> frozenset[Origin]:
    return frozenset(Origin(module, name) for module in modules for name in names)


# callees whose first argument is a statement: CDK props (``actions``) or IAM JSON (``Action``)
_CDK_STATEMENTS = _origins(_IAM, "PolicyStatement", "Grant.addToPrincipal", "Grant.addToPrincipalOrResource",
                           "Grant.addToPrincipalAndResource")
_JSON_STATEMENTS = _origins(_IAM, "PolicyStatement.fromJson")
_MANAGED_POLICIES = _origins(_IAM, "ManagedPolicy.fromAwsManagedPolicyName", "ManagedPolicy.fromManagedPolicyArn")
_DENY = _origins(_IAM, "Effect.DENY")
_BEDROCK_TASK = _origins(_SFN_TASKS, "BedrockInvokeModel")
_ENDPOINT_SERVICES = _origins(_EC2, "InterfaceVpcEndpointService", "InterfaceVpcEndpointAwsService")
_RUNTIME_ENDPOINT = _origins(_EC2, "InterfaceVpcEndpointAwsService.BEDROCK_RUNTIME")
_POLICY_DOCUMENT = _origins(_IAM, "PolicyDocument")
_ROLE = _origins(_IAM, "Role")
_STATE_MACHINE = _origins(_SFN, "StateMachine")
# methods whose only argument is a statement added to the receiver's (role's) identity policy
_ADD_TO_POLICY = frozenset({"addToPolicy", "addToRolePolicy", "addToPrincipalPolicy"})
_BLOCKS = frozenset({"program", "statement_block"})  # where a statement can go without leaving a hole

_QUERY = """
[(new_expression) (call_expression)] @call
(pair key: [(property_identifier) (string)] @_key value: [(array) (object)] @statements
  (#match? @_key "^[\\"']?Statement[\\"']?$"))
(lexical_declaration "const" (variable_declarator name: (identifier) value: (_))) @const
(member_expression property: (property_identifier) @_property (#eq? @_property "BEDROCK_RUNTIME")) @member
"""


@dataclass(frozen=True, slots=True)
class IamStatement:
    """One statement: the expression a rewrite would edit, and the action literals it grants."""

    node: Node
    actions: tuple[Node, ...]
    verdict: StatementVerdict
    value: Node | None = None  # the ``actions`` / ``Action`` value the literals come from


def analyze_cdk_typescript(parsed: ParsedSource) -> list[Finding]:
    """Findings of a TS/JS file's CDK code (IAM, Step Functions, VPC endpoints), sorted."""
    found: list[Finding] = []
    for statement in iam_statements(parsed):
        verdict = statement.verdict
        # Marketplace statements provisionally: `resolve_marketplace` keeps them only beside Bedrock grants.
        if result := finding_for(verdict):
            found.append(parsed.finding(statement.node, *result))
    for call in parsed.captures(_QUERY).get("call", []):
        callee = parsed.imports.callee(call)
        if callee in _MANAGED_POLICIES:
            if message := managed_policy_message(_strings(parsed, _arguments(call))):
                found.append(parsed.finding(call, "B2O605", message))
        elif callee in _BEDROCK_TASK:
            found.append(parsed.finding(call, "B2O305", task_message("invokeModel")))
        elif callee in _ENDPOINT_SERVICES and any(map(is_runtime_endpoint, _strings(parsed, _arguments(call)[:1]))):
            found.append(parsed.finding(call, "B2O307", ENDPOINT_MESSAGE))
    for member in parsed.captures(_QUERY).get("member", []):
        if parsed.imports.resolve(member) in _RUNTIME_ENDPOINT:
            found.append(parsed.finding(member, "B2O307", ENDPOINT_MESSAGE))
    return resolve_marketplace(found)


def iam_statements(parsed: ParsedSource) -> list[IamStatement]:
    """Every Allow statement of the file with literal actions, in document order."""
    found = parsed.captures(_QUERY)
    consts = _consts(parsed)
    located: list[tuple[Node, Node | None, str]] = []  # (statement, its properties, actions key)
    for call in found.get("call", []):
        callee = parsed.imports.callee(call)
        if callee in _CDK_STATEMENTS or callee in _JSON_STATEMENTS:
            located.append((call, first_argument(call), "actions" if callee in _CDK_STATEMENTS else "Action"))
    for value in found.get("statements", []):
        for item in value.named_children if value.type == "array" else [value]:
            located.append((item, unwrap(item), "Action"))
    statements: list[IamStatement] = []
    for node, properties, key in sorted(located, key=lambda entry: entry[0].start_byte):
        if properties is None or properties.type != "object" or _is_deny(parsed, properties, key):
            continue
        value = parsed.property(properties, key)
        actions = tuple(_action_literals(parsed, value, consts))
        if actions:
            verdict = classify_statement([parsed.literal(action) or "" for action in actions])
            statements.append(IamStatement(node, actions, verdict, value))
    return statements


def _consts(parsed: ParsedSource) -> dict[str, Node]:
    """The file's ``const`` names and their values (nested scopes included, as everywhere in this package)."""
    return {
        parsed.text(declarator.child_by_field_name("name")): declarator.child_by_field_name("value")
        for declaration in parsed.captures(_QUERY).get("const", [])
        for declarator in declaration.named_children
        if declarator.child_by_field_name("name") is not None
    }


def _is_deny(parsed: ParsedSource, properties: Node, key: str) -> bool:
    """A Deny or NotAction statement: removing its Bedrock actions would widen access, not narrow it."""
    cdk = key == "actions"
    if parsed.property(properties, "notActions" if cdk else "NotAction") is not None:
        return True
    effect = parsed.property(properties, "effect" if cdk else "Effect")
    return parsed.imports.resolve(effect) in _DENY or (parsed.literal(effect) or "").lower() == "deny"


def _action_literals(parsed: ParsedSource, value: Node | None, consts: dict[str, Node], depth: int = 0) -> list[Node]:
    """The string literals an actions value is made of, following same-file ``const`` names and spreads."""
    value = unwrap(value)
    if value is None or depth > 8:
        return []
    if parsed.literal(value) is not None:
        return [value]
    if value.type == "identifier" and parsed.text(value) in consts:
        return _action_literals(parsed, consts[parsed.text(value)], consts, depth + 1)
    if value.type == "array":
        elements = (e.named_children[0] if e.type == "spread_element" else e for e in value.named_children)
        return [literal for e in elements for literal in _action_literals(parsed, e, consts, depth + 1)]
    return []


def _arguments(call: Node) -> list[Node]:
    arguments = call.child_by_field_name("arguments")
    return arguments.named_children if arguments is not None else []


def _strings(parsed: ParsedSource, nodes: list[Node]) -> list[str]:
    """The contents of string nodes; a template keeps its ``${...}`` text (a service name ends after it)."""
    return [parsed.text(node)[1:-1] for node in nodes if node.type in ("string", "template_string")]


# -- removal edits: layout rules shared with `cdk_python` -------------------------------
#
# The rules below see only text and character offsets, so tree-sitter spans (here) and
# libcst positions (`cdk_python`) go through the same ones. A removal that does not fit
# them gets no edit: its finding stays as a follow-up.

_SEPARATOR = re.compile(r"\s*,\s*")
# Words of a comment written about a Bedrock grant (or its Marketplace companion).
_ABOUT_BEDROCK = re.compile(
    r"\b(?:bedrock|marketplace|models?|llms?|invoke ?model\w*|converse(?:stream)?|inference|third-party|anthropic"
    r"|claude|titan|nova)\b",
    re.IGNORECASE,
)


@dataclass(slots=True)
class Removal:
    """One thing a parser located for deletion: a statement, a list member or an action literal."""

    node: object  # the parser's node: a member of its container, or a whole statement
    start: int  # character offsets of the node itself (no separator, no comment)
    end: int
    findings: list[Finding]
    description: str
    principal: str | None = None
    companions: list[Removal] = field(default_factory=list)  # go only if this one goes (a const it used)
    emptied: str | None = None  # the enclosing construct that went with it, left empty ("inline policy X")


class Syntax(Protocol):
    """What `plan_removals` asks of a parser about containers (lists, objects, argument lists)."""

    comment: str  # the line-comment prefix
    openers: str  # characters that end a line opening a block

    def members(self, container: object) -> list[object]: ...

    def span(self, node: object) -> tuple[int, int]: ...

    def key(self, node: object) -> object: ...

    def depth(self, node: object) -> int: ...

    def emptied(self, container: object) -> tuple[object, object, str] | None:
        """Where a container that loses every member goes: (its container, its member there, what that is).

        None when an empty container must not be removed (or kept empty): the removals are abandoned.
        """
        ...


def statement_removal(remover, site: object, list_item: tuple[object, object] | None, finding: Finding,
                      description: str, companions: list[Removal]) -> list[tuple[object | None, Removal]]:
    """How a whole statement goes: as its item of a list, or as the statement line(s) using it.

    ``remover`` is a format's removal class (its ``span``, ``_unit`` and ``_principal``).
    """
    if list_item is not None:
        container, item = list_item
        return [(container, Removal(item, *remover.span(item), [finding], description, remover._principal(site),
                                    companions))]
    unit = remover._unit(site)
    if unit is None:
        return []
    principal = remover._principal(site)
    for companion in companions:
        companion.principal = principal
    return [(None, Removal(unit, *remover.span(unit), [finding], description, principal, companions))]


@cache
def _line_end(comment: str, separator: str) -> re.Pattern[str]:
    """What may follow a node that ends its line: its separator, blanks, a trailing comment, the line break."""
    return re.compile(
        rf"[ \t\f]*(?P<sep>{re.escape(separator)}?)[ \t\f]*(?:{re.escape(comment)}[^\r\n]*)?(?:\r?\n|\Z)"
    )


def whole_lines(text: str, start: int, end: int, comment: str, separator: str) -> tuple[int, int, bool] | None:
    """``(line start, past the line break, separator seen)`` when ``text[start:end]`` fills its lines, else None."""
    line_start = text.rfind("\n", 0, start) + 1
    if text[line_start:start].strip():
        return None
    match = _line_end(comment, separator).match(text, end)
    if match is None:
        return None
    return line_start, match.end(), bool(match.group("sep"))


def member_deletions(
    text: str, members: list[tuple[int, int]], removed: set[int], comment: str
) -> list[tuple[int, int, bool]] | None:
    """Deletions ``(start, end, whole lines)`` for some, not all, members of a comma-separated list; None if unsure.

    One member per line: the removed members' lines go, each with its comma (the last member
    may have none; the kept one before it then keeps a trailing comma, valid in both
    languages). Otherwise a member goes with the comma after it or, at the end of the list,
    with the one before it, and only blanks may surround that comma: a comment there may
    belong to a member that stays.
    """
    order = sorted(removed)
    if not order or len(order) >= len(members):
        return None
    last = len(members) - 1
    lines = [whole_lines(text, *members[i], comment, ",") for i in order]
    if all(found is not None and (found[2] or i == last) for i, found in zip(order, lines)):
        return [(found[0], found[1], True) for found in lines if found is not None]
    deletions: list[tuple[int, int, bool]] = []
    for i in order:
        if any(j not in removed for j in range(i + 1, len(members))):
            gap, span = (members[i][1], members[i + 1][0]), (members[i][0], members[i + 1][0])
        else:
            gap, span = (members[i - 1][1], members[i][0]), (members[i - 1][1], members[i][1])
        if not _SEPARATOR.fullmatch(text, *gap):
            return None
        deletions.append((*span, False))
    return deletions


def construct_named(name: str, constructs: Mapping[str, T], role_attributes: tuple[str, ...]) -> T | None:
    """The construct ``name`` refers to, through its role attributes (``fn.role`` → ``fn``); CDK in any language."""
    while name not in constructs:
        head, dot, tail = name.rpartition(".")
        if not dot or tail not in role_attributes:
            return None
        name = head
    return constructs[name]


def _line(text: str, start: int) -> str:
    end = text.find("\n", start)
    return text[start : len(text) if end == -1 else end + 1]


def _line_above(text: str, start: int) -> int | None:
    """The start of the line above the line starting at ``start``."""
    return None if start == 0 else text.rfind("\n", 0, start - 1) + 1


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def extend_whole_lines(text: str, spans: list[tuple[int, int]], comment: str, openers: str) -> list[tuple[int, int]]:
    """Sorted whole-line deletions grown by the comment lines above that describe them, and by a doubled blank line.

    A comment block directly above (same indentation) describes the deleted lines when what
    follows them, through adjacent deletions, ends the paragraph (a blank line, another
    comment, a closing bracket, a dedent or the end of the file), or when it speaks of
    Bedrock, models or Marketplace. A header over code that stays ("IAM for the worker")
    stays; separator lines (``// -----``) are never taken. Then each run of adjacent
    deletions that had a blank line (or a block opener) above and a blank line below takes
    the one below, and one between a blank line and a closing bracket takes the one above.
    """
    following = dict(spans)
    grown: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        indent = _indent(_line(text, start))
        after = end
        while after in following:
            after = following[after]
        next_line = _line(text, after).strip()
        top = block = start
        while (above := _line_above(text, block)) is not None:
            line = _line(text, above)
            if not line.strip().startswith(comment) or _indent(line) != indent or not any(map(str.isalnum, line)):
                break
            block = above
        ends = not next_line or next_line.startswith(comment) or next_line[0] in ")]}"
        if ends or _indent(_line(text, after)) < indent or _ABOUT_BEDROCK.search(text, block, start):
            top = block
        grown.append((top, end))
    previous_end = 0
    for first, last in _runs(grown):
        top, end = grown[first][0], grown[last][1]
        above = _line_above(text, top)
        above_line = "" if above is None else _line(text, above).strip()
        below = _line(text, end)
        if (not above_line or above_line[-1] in openers) and end < len(text) and not below.strip():
            grown[last] = (grown[last][0], end + len(below))
        elif not above_line and above is not None and above >= previous_end and (
            end >= len(text) or below.strip()[:1] in (")", "]", "}")
        ):
            grown[first] = (above, grown[first][1])
        previous_end = grown[last][1]
    return grown


def _runs(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``(first, last)`` indexes of the runs of adjacent spans."""
    runs: list[tuple[int, int]] = []
    for i, (start, _) in enumerate(spans):
        if runs and spans[runs[-1][1]][1] == start:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def plan_removals(text: str, syntax: Syntax, requests: list[tuple[object | None, Removal]]) -> list[SpanEdit]:
    """Span edits for located removals: ``(container, removal)`` for list members, ``(None, removal)`` for statements.

    Containers are settled innermost first: one that loses every member is removed in its own
    container instead (`Syntax.emptied`), or its removals are abandoned. A statement goes only
    with its whole lines. A removal and its companions (the const it used) make one edit
    whose replacement is the text between them, so that they are applied, or dropped, together.
    """
    pending: dict[object, tuple[object, list[Removal]]] = {}
    statements: list[tuple[Removal, Removal | None]] = []  # (removal, the removal it is a companion of)
    for container, removal in requests:
        if container is None:
            statements.append((removal, None))
        else:
            pending.setdefault(syntax.key(container), (container, []))[1].append(removal)
    located: list[tuple[int, int, bool, Removal, Removal | None]] = []
    while pending:
        key = max(pending, key=lambda k: syntax.depth(pending[k][0]))
        container, removals = pending.pop(key)
        members = syntax.members(container)
        index = {syntax.key(member): i for i, member in enumerate(members)}
        chosen: dict[int, Removal] = {}
        for removal in removals:
            if (i := index.get(syntax.key(removal.node))) is not None:
                chosen.setdefault(i, removal)
        if chosen and len(chosen) == len(members):
            if (up := syntax.emptied(container)) is not None:
                parent, member, what = up
                first = chosen[min(chosen)]
                merged = Removal(
                    member,
                    *syntax.span(member),
                    [finding for i in sorted(chosen) for finding in chosen[i].findings],
                    first.description,
                    first.principal,
                    [companion for i in sorted(chosen) for companion in chosen[i].companions],
                    what,
                )
                pending.setdefault(syntax.key(parent), (parent, []))[1].append(merged)
            continue
        deletions = member_deletions(text, [syntax.span(m) for m in members], set(chosen), syntax.comment)
        for (start, end, whole), i in zip(deletions or [], sorted(chosen)):
            located.append((start, end, whole, chosen[i], None))
            statements += [(companion, chosen[i]) for companion in chosen[i].companions]
    while statements:
        removal, lead = statements.pop(0)
        if (lines := whole_lines(text, removal.start, removal.end, syntax.comment, ";")) is not None:
            located.append((lines[0], lines[1], True, removal, lead))
            statements += [(companion, removal) for companion in removal.companions]
    whole = sorted((start, end) for start, end, is_whole, _, _ in located if is_whole)
    grown = dict(zip(whole, extend_whole_lines(text, whole, syntax.comment, syntax.openers)))
    accepted: list[tuple[int, int, Removal, Removal | None]] = []
    for start, end, is_whole, removal, lead in sorted(located, key=lambda entry: (entry[0], -entry[1])):
        start, end = grown.get((start, end), (start, end)) if is_whole else (start, end)
        if not accepted or start >= accepted[-1][1]:  # never two edits on the same text
            accepted.append((start, end, removal, lead))
    return _group_edits(text, accepted)


def _group_edits(text: str, accepted: list[tuple[int, int, Removal, Removal | None]]) -> list[SpanEdit]:
    """One edit per removal, its companions folded in; a group that lost its lead, or spans another edit, goes."""
    groups: dict[int, tuple[Removal, list[tuple[int, int, Removal]]]] = {}
    for start, end, removal, lead in accepted:
        groups.setdefault(id(lead or removal), (lead or removal, []))[1].append((start, end, removal))
    edits: list[SpanEdit] = []
    for lead, parts in groups.values():
        if all(removal is not lead for _, _, removal in parts):
            continue
        parts.sort(key=lambda part: part[0])
        start, end = parts[0][0], parts[-1][1]
        if any(start < other_end and other_start < end and (other_lead or removal) is not lead
               for other_start, other_end, removal, other_lead in accepted):
            continue  # another edit lies between a statement and its const: leave them all
        kept = "".join(text[before[1] : after[0]] for before, after in pairwise(parts))
        description = lead.description + (f", with the {lead.emptied} it left empty" if lead.emptied else "")
        if len(lead.findings) > 1:
            description += f" (and {len(lead.findings) - 1} more statement(s) there)"
        description += "".join(f", and {removal.description}" for _, _, removal in parts if removal is not lead)
        edits.append(SpanEdit(start, end, kept, lead.findings[0], description, lead.principal))
    return sorted(edits, key=lambda edit: edit.start)


# -- removal edits: TypeScript ------------------------------------------------------------


def removal_edits(source: SourceFile) -> list[SpanEdit]:
    """Deletions of a CDK TS/JS file's Bedrock invocation grants and the Marketplace statements serving them.

    A statement granting only invocation goes whole with its ``x.addToPolicy(...);`` line(s)
    or list item, and the comment lines above that describe it; a mixed one loses its
    invocation literals. Knowledge Base / Agent / Guardrail grants, managed policies, tasks
    and endpoints get no edit. Raises `ParseFailure` when the file does not parse.
    """
    return _TypeScriptRemoval(parse(source)).edits()


def reparse(text: str, relpath: str = "edited.ts") -> None:
    """Parse edited text again, with the grammar ``relpath`` calls for; `ParseFailure` on any syntax error."""
    parse(SourceFile(Path("."), relpath, text.encode("utf-8", "surrogateescape")))


class _TypeScriptRemoval:
    """Locates the removals of one parsed file; also the `Syntax` of its tree."""

    comment = "//"
    openers = "{[("

    def __init__(self, parsed: ParsedSource) -> None:
        self.parsed = parsed
        self.text = parsed.source.text
        self.consts = _consts(parsed)
        self.constructs = self._constructs()
        callees = {parsed.imports.callee(call) for call in parsed.captures(_QUERY).get("call", [])}
        # Step Functions or Bedrock assume a role here, or will: unresolved grantees may be theirs.
        self.callers_here = trusts_bedrock_caller(self.text) or bool(callees & (_STATE_MACHINE | _BEDROCK_TASK))

    def edits(self) -> list[SpanEdit]:
        statements = iam_statements(self.parsed)
        granted = any(grants_invocation(statement.verdict) for statement in statements)
        requests: list[tuple[object | None, Removal]] = []
        for statement in statements:
            verdict = statement.verdict
            scope = removal_scope(verdict, granted=granted, complete=self._complete(statement.value))
            result = finding_for(verdict)
            if result is None:
                continue
            finding = self.parsed.finding(statement.node, *result)
            found = []
            if scope == "statement":
                found = self._statement(statement, finding)
            elif scope == "actions":
                found = self._actions(statement, finding)
            requests += [request for request in found if not self._bedrock_caller(request[1].principal)]
        return plan_removals(self.text, self, requests)

    # -- whose grant

    def _constructs(self) -> dict[str, Node | None]:
        """``name`` / ``this.name`` → the ``new X(...)`` assigned to it (None when assigned more than once)."""
        bound: dict[str, Node | None] = {}
        field = "field_definition" if self.parsed.grammar == "javascript" else "public_field_definition"
        query = f"[(variable_declarator) (assignment_expression) ({field})] @binding"
        for binding in self.parsed.captures(query).get("binding", []):
            prefix = "this." if binding.type == field else ""
            if binding.type == "assignment_expression":
                name, value = binding.child_by_field_name("left"), binding.child_by_field_name("right")
            else:
                name = binding.child_by_field_name("name") or binding.child_by_field_name("property")
                value = binding.child_by_field_name("value")
            if name is None:
                continue
            key = prefix + "".join(self.parsed.text(name).split())
            value = unwrap(value)
            bound[key] = None if key in bound or value is None or value.type != "new_expression" else value
        return bound

    def _bedrock_caller(self, principal: str | None, depth: int = 0) -> bool:
        """Whether a grant may belong to a role Step Functions or Bedrock assumes: those keep calling Bedrock.

        A state machine, or a Role whose ``assumedBy`` names ``states``/``bedrock``, is one; a
        construct given a ``role`` is what that role is. A grantee this file does not resolve
        is one when the file shows any such caller.
        """
        construct = self._construct(principal) if principal is not None and depth < 4 else None
        if construct is None:
            return self.callers_here
        callee = self.parsed.imports.callee(construct)
        arguments = self.members(construct.child_by_field_name("arguments") or construct)
        props = arguments[-1] if arguments else None
        if callee in _STATE_MACHINE:
            return True
        if callee in _ROLE:
            trust = self.parsed.property(props, "assumedBy")
            return trust is None or trusts_bedrock_caller(self.parsed.text(trust))
        role = self.parsed.property(props, "role")
        return role is not None and self._bedrock_caller("".join(self.parsed.text(role).split()), depth + 1)

    def _construct(self, principal: str) -> Node | None:
        """The construct a receiver names: ``lambdaRole``, ``this.role``, ``fn.role`` → ``fn``."""
        return construct_named(principal.replace("!", "").replace("?", "").replace(" ", ""), self.constructs,
                               ("role", "grantPrincipal"))

    # -- what goes

    def _statement(self, statement: IamStatement, finding: Finding) -> list[tuple[object | None, Removal]]:
        """The statement where it is used: an ``addToPolicy`` line, a list item, or a single-use const and its use."""
        site = _outermost(statement.node)
        description = statement_removed(statement.verdict)
        companions: list[Removal] = []
        declarator = site.parent
        if declarator is not None and declarator.type == "variable_declarator":
            used = self._single_use(declarator)
            if used is None:
                return []
            declaration, site = used
            name = self.parsed.text(declarator.child_by_field_name("name"))
            companions.append(Removal(declaration, *self.span(declaration), [finding], f"const {name} holding it"))
        parent = site.parent
        list_item = (parent, site) if parent is not None and parent.type == "array" else None
        return statement_removal(self, site, list_item, finding, description, companions)

    def _actions(self, statement: IamStatement, finding: Finding) -> list[tuple[object | None, Removal]]:
        """The invocation literals of the statement's own ``actions`` list, if something other than a spread stays."""
        array = unwrap(statement.value)
        doomed = [node for node in statement.actions if is_invoke_action(self.parsed.literal(node) or "")]
        if array is None or array.type != "array" or not doomed or any(node.parent != array for node in doomed):
            return []
        if all(member.type == "spread_element" for member in self.members(array) if member not in doomed):
            return []
        principal = self._principal(_outermost(statement.node))
        removals = []
        for node in doomed:
            description = actions_removed([self.parsed.literal(node) or ""], statement.verdict.kept_actions)
            removals.append((array, Removal(node, *self.span(node), [finding], description, principal)))
        return removals

    def _single_use(self, declarator: Node) -> tuple[Node, Node] | None:
        """``const name = <statement>;`` alone in its declaration, and the one other place ``name`` appears."""
        declaration, name = declarator.parent, declarator.child_by_field_name("name")
        if (
            declaration is None
            or name is None
            or name.type != "identifier"
            or declaration.type != "lexical_declaration"
            or declaration.children[0].type != "const"
            or [child for child in declaration.named_children if child.type != "comment"] != [declarator]
            or declaration.parent is None
            or declaration.parent.type not in _BLOCKS
        ):
            return None
        text = self.parsed.text(name)
        names = self.parsed.captures("[(identifier) (shorthand_property_identifier)] @name").get("name", [])
        uses = [node for node in names if node != name and self.parsed.text(node) == text]
        if len(uses) != 1 or uses[0].type != "identifier":
            return None
        return declaration, uses[0]

    def _unit(self, site: Node) -> Node | None:
        """The statement ``x.addToPolicy(site);`` (or the bare ``iam.Grant.addToPrincipal(...)``) in a block."""
        target = site
        if site.parent is not None and site.parent.type == "arguments":
            call = site.parent.parent
            if self._add_to_policy(call) is None or self.members(site.parent) != [site]:
                return None
            target = call
        elif site.type != "call_expression":
            return None
        statement = target.parent
        if statement is None or statement.type != "expression_statement" or statement.parent is None:
            return None
        return statement if statement.parent.type in _BLOCKS else None

    def _add_to_policy(self, call: Node | None) -> Node | None:
        """The receiver of ``receiver.addToPolicy(...)`` and its kin."""
        function = call.child_by_field_name("function") if call is not None and call.type == "call_expression" else None
        if function is None or function.type != "member_expression":
            return None
        method = function.child_by_field_name("property")
        return function.child_by_field_name("object") if method and self.parsed.text(method) in _ADD_TO_POLICY else None

    def _principal(self, site: Node) -> str | None:
        """Whose grant it was: the ``addToPolicy`` receiver, the ``grantee``, or the ``const`` holding the Role."""
        node: Node | None = None
        if site.parent is not None and site.parent.type == "arguments":
            node = self._add_to_policy(site.parent.parent)
        elif site.type == "call_expression":
            node = self.parsed.property(first_argument(site), "grantee")
        else:
            ancestor = site.parent
            while ancestor is not None and ancestor.type not in _BLOCKS:
                if ancestor.type == "new_expression" and self.parsed.imports.callee(ancestor) in _ROLE:
                    holder = ancestor.parent
                    if holder is not None and holder.type == "variable_declarator":
                        node = holder.child_by_field_name("name")
                    elif holder is not None and holder.type == "assignment_expression":
                        node = holder.child_by_field_name("left")  # this.role = new iam.Role(...)
                    break
                ancestor = ancestor.parent
        return " ".join(self.parsed.text(node).split()) if node is not None else None

    def _complete(self, value: Node | None, depth: int = 0) -> bool:
        """Whether an actions value is string literals throughout (through consts and spreads)."""
        value = unwrap(value)
        if value is None or depth > 8:
            return False
        if self.parsed.literal(value) is not None:
            return True
        if value.type == "identifier":
            name = self.parsed.text(value)
            return name in self.consts and self._complete(self.consts[name], depth + 1)
        if value.type == "array":
            return all(
                self._complete(member.named_children[0] if member.type == "spread_element" else member, depth + 1)
                for member in self.members(value)
            )
        return False

    # -- Syntax

    def members(self, container: object) -> list[object]:
        assert isinstance(container, Node)
        return [child for child in container.named_children if child.type != "comment"]

    def span(self, node: object) -> tuple[int, int]:
        assert isinstance(node, Node)
        lines = self.parsed.source.lines
        return lines.offset(*self.parsed.position(node.start_byte)), lines.offset(*self.parsed.position(node.end_byte))

    def key(self, node: object) -> object:
        assert isinstance(node, Node)
        return node.id

    def depth(self, node: object) -> int:
        assert isinstance(node, Node)
        count, parent = 0, node.parent
        while parent is not None:
            count, parent = count + 1, parent.parent
        return count

    def emptied(self, container: object) -> tuple[object, object, str] | None:
        """``statements: [...]`` → its PolicyDocument's ``inlinePolicies`` entry → the ``inlinePolicies`` key."""
        assert isinstance(container, Node)
        parent = container.parent
        if parent is None:
            return None
        if container.type == "array":
            props = parent.parent
            if (
                parent.type == "pair"
                and self.parsed.key_name(parent) == "statements"
                and props is not None
                and self.members(props) == [parent]
                and self._policy_document(props) is not None
            ):
                return props, parent, "statements list"
            return None
        if (document := self._policy_document(container)) is not None:
            entry = document.parent
            if entry is not None and entry.type == "pair" and self._inline_policies(entry.parent):
                return entry.parent, entry, f"inline policy {self.parsed.key_name(entry)}"
            return None
        if self._inline_policies(container) and parent.parent is not None:
            return parent.parent, parent, "inlinePolicies map"
        return None

    def _policy_document(self, props: Node) -> Node | None:
        """The ``new iam.PolicyDocument(props)`` whose only argument ``props`` is."""
        arguments = props.parent
        if props.type != "object" or arguments is None or arguments.type != "arguments":
            return None
        document = arguments.parent
        if document is None or document.type != "new_expression" or self.members(arguments) != [props]:
            return None
        return document if self.parsed.imports.callee(document) in _POLICY_DOCUMENT else None

    def _inline_policies(self, node: Node | None) -> bool:
        parent = node.parent if node is not None else None
        return (
            node is not None
            and node.type == "object"
            and parent is not None
            and parent.type == "pair"
            and self.parsed.key_name(parent) == "inlinePolicies"
            and parent.child_by_field_name("value") == node
        )


def _outermost(node: Node) -> Node:
    """The node with the parentheses and type assertions around it."""
    while node.parent is not None and node.parent.type in (
        "parenthesized_expression", "as_expression", "satisfies_expression", "non_null_expression"
    ):
        node = node.parent
    return node
