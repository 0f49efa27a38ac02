"""Span arithmetic: which characters to delete to take one entry out of a YAML, JSON or HCL collection.

Every infrastructure format is reduced to YAML nodes (see `policy_json`), so an
edit is always "remove entry ``index`` of this sequence or mapping node". This
module turns that into character spans of the original text, so that nothing
outside them changes:

- An entry that has its lines to itself (a YAML ``- item`` or ``key: value``, an
  HCL block, a JSON array element on its own lines) goes as whole lines, together
  with the comment lines directly above it (no blank line between, same
  indentation), which describe it; a blank line it leaves doubled goes too.
- An entry of a comma-separated list (JSON, YAML flow style, HCL tuples) takes a
  separating comma with it: the one after it, or, for the last entry (and a run
  of entries up to the end), the one before it, so no trailing comma appears
  where the format forbids one. Every deletion leaves a valid list on its own,
  which is what lets `edits.apply_span_edits` re-parse after each one.
- `RemovalPlan` decides what "the parent became empty" means: a container whose
  entries all go is removed from its own parent (a ``Statement`` list with its
  policy, a SAM ``Policies:`` list with its key), up a chain the format declares;
  where the chain ends, the removals that would empty it are declined instead.

Whenever the layout is anything but the plain cases above (a ``- - x`` item, a
key sharing its line with a ``-``, an alias), the answer is None: no edit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from yaml.nodes import MappingNode, Node, SequenceNode


class Dialect(StrEnum):
    """How a container's entries are separated and commented."""

    YAML = "yaml"  # block (one entry per line) or flow collections; `#` comments
    JSON = "json"  # comma-separated, no comments, no trailing comma
    HCL = "hcl"  # bodies (one entry per line) and tuples (commas, trailing comma allowed); `#`, `//`, `/* */`


@dataclass(frozen=True, slots=True)
class Slot:
    """Entry ``index`` of ``container``: the unit a removal takes out."""

    container: Node
    index: int
    dialect: Dialect
    label: str = ""  # how a report names it when it goes because it became empty

    @property
    def key(self) -> tuple[int, int]:
        return id(self.container), self.index


@dataclass(frozen=True, slots=True)
class Deletion:
    """Replace ``text[start:end]`` with ``replacement`` (usually nothing)."""

    start: int
    end: int
    replacement: str = ""


_DASH_PREFIX = re.compile(r"[ \t]*-[ \t]+")
_INDENT = re.compile(r"[ \t]*")


# -- nodes ----------------------------------------------------------------------------


def node_end(text: str, node: Node) -> int:
    """The offset just past a node's last character.

    A block-style YAML collection's end mark lies at the next token, past blank
    lines and comments, so its end is taken from its last child instead; block
    scalars end after their line breaks, which are not theirs.
    """
    last = node
    while isinstance(last, (MappingNode, SequenceNode)) and not last.flow_style and last.value:
        tail = last.value[-1]
        last = tail[1] if isinstance(tail, tuple) else tail
    end = last.end_mark.index
    while end > node.start_mark.index and text[end - 1].isspace():
        end -= 1
    return end


def entry_bounds(text: str, container: Node) -> list[tuple[int, int]] | None:
    """``[start, end)`` of every entry (a sequence item, or a mapping key through its value).

    None when the entries are not laid out one after another inside the
    container, which is what a YAML alias (a node that lives elsewhere) looks like.
    """
    bounds: list[tuple[int, int]] = []
    for entry in container.value:
        if isinstance(entry, tuple):
            key, value = entry
            start = value.start_mark.index
            if start < key.end_mark.index and start != key.start_mark.index:  # an HCL block starts with its "key"
                return None
            bounds.append((key.start_mark.index, max(node_end(text, value), key.end_mark.index)))
        else:
            bounds.append((entry.start_mark.index, node_end(text, entry)))
    floor = container.start_mark.index
    for start, end in bounds:
        if start < floor or end < start:
            return None
        floor = end
    return bounds


def _is_lines_layout(text: str, container: Node, dialect: Dialect) -> bool | None:
    """True for one-entry-per-line containers, False for comma lists, None for what is not handled."""
    if dialect is Dialect.YAML:
        return not container.flow_style
    if dialect is Dialect.JSON:
        return False
    if isinstance(container, SequenceNode):
        return False  # an HCL tuple
    # An HCL body (a block's or the file's) starts with its first token; an HCL object with "{".
    return None if text.startswith("{", container.start_mark.index) else True


def mentioned_outside(text: str, pattern: re.Pattern[str], start: int, end: int) -> bool:
    """True when ``pattern`` (a name) occurs in ``text`` outside ``[start, end)``: something else refers to it."""
    return any(match.start() < start or match.end() > end for match in pattern.finditer(text))


# -- lines ------------------------------------------------------------------------------


def line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def next_line(text: str, offset: int) -> int:
    """The start of the line after the one ``offset`` is on (the end of the text on the last line)."""
    newline = text.find("\n", offset)
    return len(text) if newline == -1 else newline + 1


def _line_content_end(text: str, offset: int) -> int:
    """The end of the line ``offset`` is on, before its line break."""
    end = next_line(text, offset)
    while end > offset and text[end - 1] in "\r\n":
        end -= 1
    return end


def _is_blank(line: str) -> bool:
    return line.strip() == ""


def _comment_start(text: str, offset: int, dialect: Dialect) -> bool:
    if dialect is Dialect.JSON:
        return False
    return text.startswith("#", offset) or (dialect is Dialect.HCL and text.startswith("//", offset))


def _rest_is_trivia(text: str, offset: int, dialect: Dialect) -> bool:
    """Only blanks and a line comment from ``offset`` to the end of its line."""
    end = _line_content_end(text, offset)
    position = offset
    while position < end and text[position] in " \t":
        position += 1
    return position == end or _comment_start(text, position, dialect)


def _skip_trivia(text: str, offset: int, dialect: Dialect) -> int:
    """Past blanks, line breaks and comments."""
    while offset < len(text):
        if text[offset] in " \t\r\n":
            offset += 1
        elif _comment_start(text, offset, dialect):
            offset = _line_content_end(text, offset)
        elif dialect is Dialect.HCL and text.startswith("/*", offset):
            close = text.find("*/", offset + 2)
            offset = len(text) if close == -1 else close + 2
        else:
            break
    return offset


def _skip_blanks(text: str, offset: int) -> int:
    while offset < len(text) and text[offset] in " \t\r\n":
        offset += 1
    return offset


def describing_comments(text: str, start: int, floor: int, dialect: Dialect) -> int:
    """``start`` (a line start) moved up over the comment lines directly above it.

    Only comment lines count, with no blank line between, indented exactly
    like the entry (a shallower comment heads the enclosing section, a deeper
    one closes the previous entry, e.g. a commented-out line of it), and none
    above ``floor`` (the previous entry's end: a ``#`` line inside its block
    scalar is text, not a comment).
    """
    indent = len(_INDENT.match(text, start).group())
    while start > floor:
        above = line_start(text, start - 1)
        if above < floor:
            break
        line = text[above:start]
        stripped = line.lstrip(" \t")
        if len(line) - len(stripped) != indent or not _comment_start(stripped, 0, dialect):
            break
        start = above
    return start


def _own_lines(text: str, start: int, prefix: re.Pattern[str]) -> int | None:
    """The start of ``start``'s line when only ``prefix`` (indentation, or a YAML ``- ``) precedes it there."""
    first = line_start(text, start)
    return first if prefix.fullmatch(text, first, start) else None


# -- removing entries ------------------------------------------------------------------------


def entry_deletions(text: str, container: Node, dialect: Dialect, indices: Iterable[int]) -> dict[int, Deletion] | None:
    """One deletion per entry to remove, each of which leaves a valid collection on its own.

    ``indices`` must leave at least one entry (an emptied container is its
    parent's business). None when any of them cannot be removed cleanly.
    """
    removed = set(indices)
    bounds = entry_bounds(text, container)
    if bounds is None or not removed or len(removed) >= len(bounds) or not removed <= set(range(len(bounds))):
        return None
    lines = _is_lines_layout(text, container, dialect)
    if lines is None:
        return None
    deletions: dict[int, Deletion] = {}
    item_prefix = _DASH_PREFIX if dialect is Dialect.YAML and isinstance(container, SequenceNode) else _INDENT
    if lines:
        for index in sorted(removed):
            deletion = _whole_lines(text, bounds, index, removed, dialect, item_prefix, None)
            if deletion is None:
                return None
            deletions[index] = deletion
        return deletions
    commas = _commas(text, bounds, dialect)
    if commas is None:
        return None
    trailing_run: set[int] = set()
    if commas[-1] is None:  # the last entry has no comma after it: a run up to the end takes the ones before
        index = len(bounds) - 1
        while index in removed:
            trailing_run.add(index)
            index -= 1
    for index in sorted(removed):
        if index in trailing_run:
            deletion = _backward(text, bounds, commas, index, dialect, index - 1 not in removed)
        else:
            deletion = _forward(text, bounds, commas, index, removed, dialect)
        if deletion is None:
            return None
        deletions[index] = deletion
    return deletions


def _commas(text: str, bounds: list[tuple[int, int]], dialect: Dialect) -> list[int | None] | None:
    """The offset of the comma after each entry (None after the last when there is none)."""
    commas: list[int | None] = []
    for index, (_, end) in enumerate(bounds):
        after = _skip_trivia(text, end, dialect)
        if after < len(text) and text[after] == ",":
            commas.append(after)
        elif index == len(bounds) - 1:
            commas.append(None)
        else:
            return None
    return commas


def _whole_lines(
    text: str,
    bounds: list[tuple[int, int]],
    index: int,
    removed: set[int],
    dialect: Dialect,
    prefix: re.Pattern[str],
    comma: int | None,
) -> Deletion | None:
    """The entry's lines (through its comma, if any) and the comments above that describe it.

    A blank line below goes too when the one above is blank or the entry opened
    its container, so no doubled or leading blank line is left; in HCL and JSON
    (no block scalars whose text a blank line could be) a blank line above goes
    when the entry closed its container.
    """
    start, end = bounds[index]
    first = _own_lines(text, start, prefix)
    tail = end if comma is None else comma + 1
    if first is None or not _rest_is_trivia(text, tail, dialect):
        return None
    floor = bounds[index - 1][1] if index > 0 else 0
    first = describing_comments(text, first, floor, dialect)
    stop = next_line(text, tail)
    above = line_start(text, first - 1) if first > 0 else None
    above_blank = above is not None and _is_blank(text[above:first])
    opens = all(other in removed for other in range(index))
    below_blank = stop < len(text) and _is_blank(text[stop : next_line(text, stop)])
    if below_blank and (above_blank or opens):
        stop = next_line(text, stop)
    elif (
        dialect is not Dialect.YAML
        and above_blank
        and index == len(bounds) - 1
        and index - 1 not in removed
        and above is not None
        and above >= floor
    ):
        first = above
    return Deletion(first, stop)


def _forward(
    text: str,
    bounds: list[tuple[int, int]],
    commas: list[int | None],
    index: int,
    removed: set[int],
    dialect: Dialect,
) -> Deletion | None:
    """An entry with a comma after it: the entry and that comma."""
    comma = commas[index]
    if comma is None:
        return None
    start, _ = bounds[index]
    if _own_lines(text, start, _INDENT) is not None and _rest_is_trivia(text, comma + 1, dialect):
        whole = _whole_lines(text, bounds, index, removed, dialect, _INDENT, comma)
        if whole is not None:
            return whole
    return Deletion(start, _skip_blanks(text, comma + 1))


def _backward(
    text: str,
    bounds: list[tuple[int, int]],
    commas: list[int | None],
    index: int,
    dialect: Dialect,
    after_kept: bool,
) -> Deletion | None:
    """An entry at the end (or in a run up to it): the comma before it, from the previous entry's end.

    The last entry also takes the rest of its line when that is only blanks or a
    comment. A comment after the kept previous entry's comma stays with it.
    """
    if index == 0:
        return None
    start, end = bounds[index - 1][1], bounds[index][1]
    if index == len(bounds) - 1 and _rest_is_trivia(text, end, dialect):
        end = _line_content_end(text, end)
    replacement = ""
    comma = commas[index - 1]
    if after_kept and comma is not None and "\n" in text[comma:bounds[index][0]]:
        kept = text[comma + 1 : _line_content_end(text, comma)]
        replacement = kept if kept.strip() else ""
    return Deletion(start, end, replacement)


def merge(text: str, deletions: Sequence[Deletion]) -> Deletion:
    """Several non-overlapping deletions as one span, keeping the text between them."""
    ordered = sorted(deletions, key=lambda deletion: deletion.start)
    pieces: list[str] = []
    for current, following in zip(ordered, [*ordered[1:], None]):
        pieces.append(current.replacement)
        if following is not None:
            pieces.append(text[current.end : following.start])
    return Deletion(ordered[0].start, ordered[-1].end, "".join(pieces))


# -- emptied containers ------------------------------------------------------------------------


@dataclass(slots=True)
class _Container:
    up: Slot | None  # where the container goes when it empties; None: it must not empty
    members: frozenset[int]  # the entries that count: an emptied container has none of them left


class RemovalPlan:
    """Which entries to remove, once emptied containers have gone with their keys (or been kept).

    `mark` the entries the rules remove; `resolve` then removes every container
    left with none of its members, up the chain `register` declared, and where a
    container may not go (no ``up``), declines every removal inside it: a raw
    policy file or a ``Resources`` mapping is never emptied.
    """

    def __init__(self) -> None:
        self._containers: dict[int, _Container] = {}
        self._marks: dict[int, dict[int, Slot]] = {}
        self._blocked: set[int] = set()

    def register(self, container: Node, up: Slot | None, members: Iterable[int] | None = None) -> None:
        """Declare where ``container`` goes when it empties (the first declaration stands)."""
        if id(container) not in self._containers:
            entries = frozenset(range(len(container.value))) if members is None else frozenset(members)
            self._containers[id(container)] = _Container(up, entries)

    def mark(self, slot: Slot) -> None:
        self._marks.setdefault(id(slot.container), {})[slot.index] = slot

    def resolve(self) -> list[Slot]:
        """The outermost entries to remove: emptied containers replaced by their own entry, declined ones dropped."""
        changed = True
        while changed:
            changed = False
            for key, marked in list(self._marks.items()):
                container = self._containers.get(key)
                if container is None or not marked or not container.members <= marked.keys():
                    continue
                up = container.up
                if up is None or id(up.container) in self._blocked:
                    self._decline(key)
                    changed = True
                elif up.index not in self._marks.get(id(up.container), {}):
                    self.mark(up)
                    changed = True
        return [slot for key, marked in self._marks.items() if not self._removed(key) for slot in marked.values()]

    def _removed(self, key: int) -> bool:
        """True when the container itself goes (its own entry is marked higher up)."""
        container = self._containers.get(key)
        up = container.up if container is not None else None
        return up is not None and up.index in self._marks.get(id(up.container), {})

    def _decline(self, key: int) -> None:
        """Keep this container as it is, and everything nested in it."""
        self._blocked.add(key)
        self._marks.pop(key, None)
        for inner_key, inner in self._containers.items():
            if inner.up is not None and id(inner.up.container) == key and inner_key not in self._blocked:
                self._decline(inner_key)
