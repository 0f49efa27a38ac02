"""Removal edits of Bedrock invocation grants, shared by every YAML/JSON/HCL format.

A format module says where its policy documents are (`Scope`s); this kernel
decides which statements, action literals and emptied containers go, and checks
each edit: the edited text must compose into the original nodes minus exactly
the removed entries.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ..edits import SpanEdit
from ..findings import Finding, ParseFailure
from ..workspace import SourceFile
from .grants import grant, node_finding, statement_keys
from .nodes import MappingNode, Node, ScalarNode, SequenceNode, items, span, text_value
from .rules import INVOCATION_RULES, REMOVABLE_RULES, actions_removed, statement_removed
from .rules import scope as removal_scope
from .spans import Deletion, Dialect, RemovalPlan, Slot, entry_deletions, merge
from .statements import classify_statement, is_invoke_action

# Service principals that call Bedrock themselves with the role they assume: Step Functions
# (Bedrock tasks), Bedrock (Knowledge Bases, Agents, Flows). Their grants outlive the migration.
# `states.amazonaws.com`, `states.us-east-1.amazonaws.com`, `!Sub states.${AWS::Region}.amazonaws.com`,
# `!Sub bedrock.${AWS::URLSuffix}`, `"states.${data.aws_region.current.name}.amazonaws.com"`.
_BEDROCK_CALLER_RE = re.compile(
    r"(?<![\w.-])(?:states|bedrock)\.(?:[^\s\"'/,.]+\.)*(?:amazonaws\.com|\$\{AWS::URLSuffix\})", re.IGNORECASE
)



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
    invocation = any(item.rule in INVOCATION_RULES for item in found)
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
            if found_here not in found or found_here.rule not in REMOVABLE_RULES:
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

    Its rule decides (`rules.scope`); a ``!Ref``/``${var}`` action makes the
    statement incomplete: it may grant more than it shows, so it never goes whole.
    """
    keys = statement_keys(statement)
    actions = keys.get("action", keys.get("actions"))
    literals = [text_value(entry) for entry in items(actions)]
    invoke = [index for index, value in enumerate(literals) if value is not None and is_invoke_action(value)]
    verdict = classify_statement([value for value in literals if value is not None])
    whole = removal_scope(verdict, granted=invocation, complete=None not in literals) == "statement"
    return actions, invoke, whole


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
    description = actions_removed(gone, kept)
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
        description = statement_removed(classify_statement(own.actions))
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
