"""``except ClientError`` around a migrated call: it must keep catching what the call now raises.

A chat completion raises ``openai`` errors, which ``except botocore.exceptions.ClientError``
does not catch. A handler that does not look at the exception (no ``as``, or a
name it never reads) also catches ``openai.APIError`` after the migration:

    except ClientError:            →   except (ClientError, APIError):

A handler that reads the exception (``e.response["Error"]["Code"]``) keeps its
call in Bedrock's shape instead: the generated helper raises a ``ClientError``
built from OpenRouter's error (status → Bedrock's error code), so every read
of it keeps working.
"""

from __future__ import annotations

from collections.abc import Mapping

import libcst as cst

from .clients import ClientTracer
from .syntax import ModuleSyntax

CLIENT_ERRORS = frozenset({"botocore.exceptions.ClientError"})
OPENAI_ERROR = ("openai", "APIError")


def client_error_handlers(call: cst.Call, parents: Mapping[cst.CSTNode, cst.CSTNode],
                          tracer: ClientTracer) -> list[cst.ExceptHandler]:
    """The handlers of the ``try`` statements around ``call`` (in this function) that catch ``ClientError``."""
    found = []
    node: cst.CSTNode = call
    while (parent := parents.get(node)) is not None and not isinstance(parent, cst.FunctionDef | cst.ClassDef):
        if isinstance(parent, cst.Try) and node is parent.body:
            found += [handler for handler in parent.handlers
                      if handler.type is not None and _catches_client_error(handler.type, tracer)]
        node = parent
    return found


def reads_exception(handler: cst.ExceptHandler, syntax: ModuleSyntax) -> bool:
    """Whether the handler's body looks at the exception it caught."""
    if handler.name is None or not isinstance(handler.name.name, cst.Name):
        return False
    return any(binding.references for binding in syntax.assignments_of(handler.name.name))


def widened(handler_type: cst.BaseExpression) -> cst.BaseExpression:
    """``ClientError`` → ``(ClientError, APIError)``; ``(A, ClientError)`` → ``(A, ClientError, APIError)``."""
    extra = cst.Element(cst.Name(OPENAI_ERROR[1]))
    if isinstance(handler_type, cst.Tuple):
        elements = list(handler_type.elements)
        elements[-1] = elements[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        return handler_type.with_changes(elements=[*elements, extra])
    return cst.Tuple([cst.Element(handler_type, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))), extra])


def _catches_client_error(handler_type: cst.BaseExpression, tracer: ClientTracer) -> bool:
    types = [element.value for element in handler_type.elements] if isinstance(handler_type, cst.Tuple) else [handler_type]
    return any(tracer.qualified_names(item) & CLIENT_ERRORS for item in types)
