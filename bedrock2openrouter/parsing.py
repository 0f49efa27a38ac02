"""Every parse of a file version goes through here, once.

A migration looks at the same text several times: the kind table sniffs a
YAML document, the analyser reads it, a span edit re-parses its result and the
analysis of the edited file reads that result again. Each parser is declared
with `memoised`, so asking twice for the same (parser, text, options) returns
the first answer, a syntax error included. The memo is small and recent-first:
a file's versions are handled one after the other, never thousands at once.

``PARSERS`` holds the undecorated functions by name; the memo calls them from
there, so a test can wrap one and count how often each version is parsed.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

PARSERS: dict[str, Callable[..., object]] = {}
_MEMO: OrderedDict[tuple, tuple[bool, object]] = OrderedDict()
_MEMO_SIZE = 12


def memoised(name: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Declare ``function`` as the parser ``name``: one call per distinct (text, options), errors included."""

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        PARSERS[name] = function

        @wraps(function)
        def parse(*args: P.args, **kwargs: P.kwargs) -> R:
            key = (name, args, tuple(sorted(kwargs.items())))
            found = _MEMO.get(key)
            if found is None:
                try:
                    found = (True, PARSERS[name](*args, **kwargs))
                except Exception as error:  # noqa: BLE001 - a syntax error is an answer too
                    found = (False, error)
                _MEMO[key] = found
                if len(_MEMO) > _MEMO_SIZE:
                    _MEMO.popitem(last=False)
            else:
                _MEMO.move_to_end(key)
            succeeded, value = found
            if not succeeded:
                raise value  # type: ignore[misc]
            return value  # type: ignore[return-value]

        return parse

    return decorate


def remember(name: str, result: object, *args: object) -> None:
    """Record that parser ``name`` gives ``result`` for ``args``: a tree built in memory is the parse of its own code."""
    _MEMO[(name, args, ())] = (True, result)
    if len(_MEMO) > _MEMO_SIZE:
        _MEMO.popitem(last=False)


def forget() -> None:
    """Drop every remembered parse (tests, and a new run in the same process)."""
    _MEMO.clear()
