"""``migrate --wire-secret``: the OpenRouter secret goes where a CDK TypeScript stack's Bedrock grant was.

    // Allow the chat Lambda to call Bedrock models
    lambdaRole.addToPolicy(new iam.PolicyStatement({ actions: ["bedrock:InvokeModel"], ... }));
    →
    // OpenRouter API key, read by the functions at run time (store it with `aws secretsmanager create-secret`)
    const openRouterSecret = secretsmanager.Secret.fromSecretNameV2(this, "OpenRouterSecret", "thinktank/openrouter");
    openRouterSecret.grantRead(lambdaRole);

and every ``lambda.Function`` (or ``NodejsFunction``) of the file that uses that role, or
is that grantee, gets ``OPENROUTER_SECRET_ARN: openRouterSecret.secretArn`` in its
``environment``; ``aws-cdk-lib/aws-secretsmanager`` is imported when it is not. These are
extra span edits beside the removals, applied and re-parsed with them. When the stack's
shape is not one this module knows, nothing is wired and the reason is returned.
"""

from __future__ import annotations

from dataclasses import replace

from tree_sitter import Node

from ..edits import SpanEdit
from ..javascript.parser import ParsedSource, parse, unwrap
from ..workspace import SourceFile

SECRET_VARIABLE = "openRouterSecret"
ENV_VAR = "OPENROUTER_SECRET_ARN"
_FUNCTION_CLASSES = frozenset({"Function", "NodejsFunction", "DockerImageFunction", "PythonFunction"})
_IMPORT_MODULE = "aws-cdk-lib/aws-secretsmanager"


def wire_secret_edits(source: SourceFile, edits: list[SpanEdit], secret_name: str) -> tuple[list[SpanEdit], str | None]:
    """The removal edits with the secret wired in, or the unchanged edits and why nothing was wired."""
    text = source.text
    anchor = next((edit for edit in edits if edit.principal and not edit.replacement.strip()
                   and (edit.start == 0 or text[edit.start - 1] == "\n")), None)
    if anchor is None:
        return edits, "no removed grant statement to put the secret in its place: wire it by hand"
    parsed = parse(source)
    functions = _functions_of(parsed, anchor.principal)
    if not functions:
        return edits, f"no Lambda function of this file uses {anchor.principal}: wire the secret by hand"
    if text.find(SECRET_VARIABLE) != -1:
        return edits, f"{SECRET_VARIABLE} already exists in this file: wire the secret by hand"
    namespace, import_edit = _secretsmanager_namespace(parsed, anchor)
    indent = text[anchor.start : len(text) - len(text[anchor.start :].lstrip(" \t"))]
    newline = "\r\n" if "\r\n" in text[anchor.start : anchor.end] else "\n"
    wiring = (
        f"{indent}// OpenRouter API key, read by the functions at run time "
        f"(store it with `aws secretsmanager create-secret`){newline}"
        f'{indent}const {SECRET_VARIABLE} = {namespace}.Secret.fromSecretNameV2(this, "OpenRouterSecret", '
        f'"{secret_name}");{newline}'
        f"{indent}{SECRET_VARIABLE}.grantRead({anchor.principal});{newline}"
    )
    wired = [replace(anchor, replacement=wiring, wires_secret=True,
                     description=f"{anchor.description}; read access to the OpenRouter secret granted in its place")]
    for props in functions:
        environment = _environment_edit(parsed, props, anchor)
        if environment is None:
            return edits, "a function's environment has a shape this tool does not edit: wire the secret by hand"
        wired.append(environment)
    if import_edit is not None:
        wired.append(import_edit)
    others = [edit for edit in edits if edit is not anchor]
    spans = sorted([(e.start, e.end) for e in others + wired])
    if any(a_end > b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:])):
        return edits, "the secret's wiring would overlap another edit: wire it by hand"
    return others + wired, None


def _functions_of(parsed: ParsedSource, principal: str) -> list[Node]:
    """The props objects of the Lambda functions that use ``principal`` as their role, or are it."""
    found = []
    for node in parsed.captures("(new_expression) @new").get("new", []):
        origin = parsed.imports.callee(node)
        if origin is None or "lambda" not in origin.module or origin.name.rpartition(".")[2] not in _FUNCTION_CLASSES:
            continue
        arguments = node.child_by_field_name("arguments")
        props = unwrap(arguments.named_children[2]) if arguments is not None and len(arguments.named_children) > 2 else None
        if props is None or props.type != "object":
            continue
        role = parsed.property(props, "role")
        if (role is not None and parsed.text(role) == principal) or _assigned_name(parsed, node) == principal:
            found.append(props)
    return found


def _assigned_name(parsed: ParsedSource, node: Node) -> str | None:
    parent = node.parent
    if parent is not None and parent.type == "variable_declarator":
        name = parent.child_by_field_name("name")
        return parsed.text(name) if name is not None else None
    if parent is not None and parent.type == "assignment_expression":
        left = parent.child_by_field_name("left")
        return parsed.text(left) if left is not None else None
    return None


def _char(parsed: ParsedSource, byte_offset: int) -> int:
    return len(parsed.code[:byte_offset].decode("utf-8", "surrogateescape"))


def _line_indent(text: str, offset: int) -> str:
    line_start = text.rfind("\n", 0, offset) + 1
    line = text[line_start:offset]
    return line[: len(line) - len(line.lstrip(" \t"))]


def _environment_edit(parsed: ParsedSource, props: Node, anchor: SpanEdit) -> SpanEdit | None:
    text = parsed.source.text
    entry = f"{ENV_VAR}: {SECRET_VARIABLE}.secretArn"
    environment = parsed.property(props, "environment")

    def edit(start: int, end: int, replacement: str) -> SpanEdit:
        return SpanEdit(start, end, replacement, anchor.finding, f"passed {ENV_VAR} to the function", anchor.principal)

    if environment is None:
        return _append_property(parsed, props, f"environment: {{ {entry} }}", edit)
    environment = unwrap(environment)
    if environment.type == "object":
        if not environment.named_children:
            start, end = _char(parsed, environment.start_byte), _char(parsed, environment.end_byte)
            return edit(start, end, f"{{ {entry} }}")
        return _append_property(parsed, environment, entry, edit)
    if environment.type in ("identifier", "member_expression"):
        start, end = _char(parsed, environment.start_byte), _char(parsed, environment.end_byte)
        return edit(start, end, f"{{ ...{text[start:end]}, {entry} }}")
    return None


def _append_property(parsed: ParsedSource, obj: Node, entry: str, edit) -> SpanEdit | None:
    """Add ``entry`` after the last property of an object literal, in the object's own layout."""
    members = [child for child in obj.named_children if child.type != "comment"]
    if not members:
        return None
    last = members[-1]
    text = parsed.source.text
    end = _char(parsed, last.end_byte)
    has_comma = text[end:].lstrip(" \t").startswith(",")
    if has_comma:
        end = text.index(",", end) + 1
    if "\n" in text[_char(parsed, obj.start_byte) : _char(parsed, obj.end_byte)]:
        newline = "\r\n" if "\r\n" in text[_char(parsed, obj.start_byte) : end] else "\n"
        indent = _line_indent(text, _char(parsed, last.start_byte))
        addition = ("" if has_comma else ",") + f"{newline}{indent}{entry}" + ("," if has_comma else "")
    else:
        addition = ("" if has_comma else ",") + f" {entry}"
    return edit(end, end, addition)


def _secretsmanager_namespace(parsed: ParsedSource, anchor: SpanEdit) -> tuple[str, SpanEdit | None]:
    """The name Secrets Manager is imported under, and the import to add when it is not."""
    imports = parsed.captures("(import_statement) @import").get("import", [])
    for node in imports:
        source = node.child_by_field_name("source")
        if source is not None and parsed.literal(source) == _IMPORT_MODULE:
            namespace = next((c for c in _walk(node) if c.type == "namespace_import"), None)
            if namespace is not None and namespace.named_children:
                return parsed.text(namespace.named_children[-1]), None
    text = parsed.source.text
    if not imports:
        return "secretsmanager", SpanEdit(0, 0, f'import * as secretsmanager from "{_IMPORT_MODULE}";\n',
                                          anchor.finding, "imported aws-secretsmanager", anchor.principal)
    last_end = _char(parsed, imports[-1].end_byte)
    line_end = text.find("\n", last_end)
    position = len(text) if line_end == -1 else line_end + 1
    newline = "\r\n" if text[position - 2 : position] == "\r\n" else "\n"
    return "secretsmanager", SpanEdit(position, position, f'import * as secretsmanager from "{_IMPORT_MODULE}";{newline}',
                                      anchor.finding, "imported aws-secretsmanager", anchor.principal)


def _walk(node: Node):
    yield node
    for child in node.children:
        yield from _walk(child)
