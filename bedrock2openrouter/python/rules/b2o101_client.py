"""B2O101: a Bedrock Runtime client becomes an OpenAI SDK client for OpenRouter.

    bedrock = boto3.client("bedrock-runtime", region_name="us-east-1",
                           config=Config(retries={"max_attempts": 3}, read_timeout=60))
    →
    bedrock = openrouter_client(max_retries=2, timeout=60)

boto3 counts attempts, the OpenAI SDK counts retries after the first attempt.
Region, credentials and the service name mean nothing to OpenRouter and go;
any other option is dropped and reported. A client other modules use becomes
``BedrockRuntimeCompat(openrouter_client(...), bedrock=lambda: <the boto3 creation>)``,
which answers their Converse calls in Bedrock's shape and hands everything else
to the real client.
"""

from __future__ import annotations

import libcst as cst

from ..clients import ClientTracer
from ..literals import dict_value

KIND = "client"
CODE = "B2O101"
DESCRIPTION = "boto3 bedrock-runtime client → OpenAI SDK client for OpenRouter"

# boto3 client arguments that have no meaning once the client talks to OpenRouter.
_IRRELEVANT = frozenset({
    "service_name", "region_name", "aws_access_key_id", "aws_secret_access_key", "aws_session_token",
    "api_version", "use_ssl", "verify",
})
_TIMEOUTS = ("read_timeout", "connect_timeout")


def _keyword(name: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(value=value, keyword=cst.Name(name), equal=cst.AssignEqual(
        whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")))


def _config_options(config: cst.BaseExpression | None, tracer: ClientTracer) -> tuple[list[cst.Arg], list[str]]:
    """OpenAI options from a botocore ``Config(...)`` (inline or bound to a name in this module)."""
    if isinstance(config, cst.Name):
        config = tracer.bound_value(config)
    if not (isinstance(config, cst.Call) and _callee_name(config) == "Config"):
        return [], [] if config is None else ["config"]
    options: list[cst.Arg] = []
    dropped: list[str] = []
    timeout: cst.BaseExpression | None = None
    for arg in config.args:
        name = arg.keyword.value if arg.keyword is not None else None
        if name == "retries" and isinstance(arg.value, cst.Dict):
            attempts = dict_value(arg.value, "max_attempts") or dict_value(arg.value, "total_max_attempts")
            if isinstance(attempts, cst.Integer):
                options.append(_keyword("max_retries", cst.Integer(str(max(int(attempts.value) - 1, 0)))))
            elif attempts is not None:
                options.append(_keyword("max_retries", cst.BinaryOperation(attempts, cst.Subtract(), cst.Integer("1"))))
        elif name in _TIMEOUTS:
            if name == "read_timeout" or timeout is None:
                timeout = arg.value
        elif name not in ("region_name", "signature_version", "user_agent_extra"):
            dropped.append(f"Config({name or '...'}=...)")
    if timeout is not None:
        options.append(_keyword("timeout", timeout))
    return options, dropped


def fix(creation: cst.Call, tracer: ClientTracer, *, compat: str | None,
        fallback: str | None = None) -> tuple[cst.Call, list[str]]:
    """The call that replaces ``creation``, and the boto3 options it had to drop.

    ``compat``: the indentation of the creation's statement when other modules use
    the client, which then becomes a `BedrockRuntimeCompat`. ``fallback``: that
    indentation when some of its calls are answered in Bedrock's shape, which hand
    what OpenRouter cannot answer to a client made like the original
    (``openrouter_client(..., bedrock=lambda: <the boto3 creation>)``).
    """
    options: list[cst.Arg] = []
    dropped: list[str] = []
    positional = 0
    for arg in creation.args:
        if arg.keyword is None and not arg.star:
            positional += 1
            if positional > 2:  # service_name, region_name are the only positional ones in use
                dropped.append(f"positional argument {positional}")
            continue
        name = arg.keyword.value if arg.keyword is not None else "**"
        if name == "config":
            config_options, config_dropped = _config_options(arg.value, tracer)
            options += config_options
            dropped += config_dropped
        elif name not in _IRRELEVANT:
            dropped.append(name)
    original = cst.Lambda(cst.Parameters(), creation)
    if compat is not None:
        inner = cst.Call(func=cst.Name("openrouter_client"), args=_one_line(options))
        return _one_per_line("BedrockRuntimeCompat", [(None, inner), ("bedrock", original)], compat), dropped
    if fallback is not None:
        arguments = [(arg.keyword.value, arg.value) for arg in options] + [("bedrock", original)]
        return _one_per_line("openrouter_client", arguments, fallback), dropped
    return cst.Call(func=cst.Name("openrouter_client"), args=_one_line(options)), dropped


def _one_line(options: list[cst.Arg]) -> list[cst.Arg]:
    return [*options[:-1], options[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)] if options else []


def _one_per_line(name: str, arguments: list[tuple[str | None, cst.BaseExpression]], indent: str) -> cst.Call:
    """``name(`` then one argument a line (``keyword=value`` or a value), each with its comma, then ``)``.

    The lambda wraps the original creation: the real client, made on first use
    with the region, credentials and config it had.
    """
    inner = indent + "    "
    last = len(arguments) - 1
    return cst.Call(
        func=cst.Name(name),
        whitespace_before_args=cst.ParenthesizedWhitespace(
            first_line=cst.TrailingWhitespace(), last_line=cst.SimpleWhitespace(inner)),
        args=[
            cst.Arg(
                value=value,
                keyword=cst.Name(keyword) if keyword else None,
                equal=(cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")) if keyword
                       else cst.MaybeSentinel.DEFAULT),
                comma=cst.Comma(whitespace_after=cst.ParenthesizedWhitespace(
                    first_line=cst.TrailingWhitespace(),
                    last_line=cst.SimpleWhitespace(indent if index == last else inner))),
            )
            for index, (keyword, value) in enumerate(arguments)
        ],
    )


def _callee_name(call: cst.Call) -> str | None:
    func = call.func
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return func.value if isinstance(func, cst.Name) else None
