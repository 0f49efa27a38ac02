"""Render the Jinja templates in ``templates/`` (shipped in the wheel as ``bedrock2openrouter/templates``).

Also the Secrets Manager snippets (`bedrock2openrouter snippet`, and `migrate`
writing them to `--out/snippets/`): `SnippetOptions` -> `validate` -> `render_snippet`.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

import jinja2

_PACKAGE = Path(__file__).resolve().parent


def templates_dir() -> Path:
    """Inside an installed wheel the templates sit in the package; in a checkout, beside it."""
    packaged = _PACKAGE / "templates"
    return packaged if packaged.is_dir() else _PACKAGE.parent / "templates"


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,  # a missing value is a bug, not an empty string
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def render(name: str, **context: object) -> str:
    return _environment().get_template(name).render(**context)


# ---------------------------------------------------------------------------
# Secrets Manager snippets: `bedrock2openrouter snippet` and `migrate --out/snippets/`.
#
# Decision (stated to users in every snippet): by default the snippet *imports*
# an existing secret by name, and the one manual step comes first: create the
# secret with its value (`aws secretsmanager create-secret`, or
# `put-secret-value` when it exists). Why: the migrated code and the
# infrastructure usually deploy together, so a secret created empty by the
# same deploy leaves a window in which every call (or every new ECS task)
# fails until someone puts the key; importing has no such window, and works
# the same in every format (Terraform's data source even checks the secret
# exists at plan time). `--create-secret` (`create_secret=True`) makes the
# stack own the secret instead: created empty (no value, no generated
# placeholder), retained when the stack is deleted, the key put afterwards.
# ---------------------------------------------------------------------------

SECRET_JSON_KEY = "OPENROUTER_API_KEY"
DEFAULT_ENV_VAR = "OPENROUTER_SECRET_ARN"  # a function gets the secret's ARN and fetches the key itself
DEFAULT_ECS_ENV_VAR = "OPENROUTER_API_KEY"  # ECS injects the key itself from the task definition's `secrets`
SECRET_NAME_MAX = 512
_NAME_MAX = 64  # function / resource identifiers; keeps derived IDs (`<name>Role`) well within AWS limits


class SnippetError(ValueError):
    """A snippet option the user gave is unusable; the message is one line naming the bad value."""


class SnippetFormat(StrEnum):
    cdk_ts = "cdk-ts"
    cdk_python = "cdk-python"
    cloudformation = "cloudformation"
    sam = "sam"
    terraform = "terraform"
    serverless = "serverless"


# Defaults for --function, per format and per target (Lambda function / ECS task).
_DEFAULT_FUNCTION: dict[SnippetFormat, tuple[str, str]] = {
    SnippetFormat.cdk_ts: ("chatFunction", "chatContainer"),
    SnippetFormat.cdk_python: ("chat_function", "chat_container"),
    SnippetFormat.cloudformation: ("ChatFunction", "ChatTaskDefinition"),
    SnippetFormat.sam: ("ChatFunction", ""),
    SnippetFormat.terraform: ("chat", "chat"),
    SnippetFormat.serverless: ("chat", ""),
}

_FILE_NAMES: dict[SnippetFormat, str] = {
    SnippetFormat.cdk_ts: "openrouter-secret{ecs}.ts",
    SnippetFormat.cdk_python: "openrouter_secret{ecs}.py",
    SnippetFormat.cloudformation: "openrouter-secret{ecs}.yaml",
    SnippetFormat.sam: "openrouter-secret-sam.yaml",
    SnippetFormat.terraform: "openrouter-secret{ecs}.tf",
    SnippetFormat.serverless: "serverless-openrouter.yml",
}

_NO_ECS = {SnippetFormat.sam, SnippetFormat.serverless}

# Logical IDs / construct IDs the templates themselves use; a --function equal to one would collide.
_RESERVED_IDS = {"OpenRouterSecret", "OpenRouterSecretArn", "OpenRouterSecretReadPolicy", "openrouter"}

_TS_RESERVED = frozenset((
    "break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do", "else", "enum",
    "export", "extends", "false", "finally", "for", "function", "if", "import", "in", "instanceof", "new", "null",
    "return", "super", "switch", "this", "throw", "true", "try", "typeof", "var", "void", "while", "with", "as",
    "implements", "interface", "let", "package", "private", "protected", "public", "static", "yield", "any",
    "boolean", "constructor", "declare", "get", "module", "require", "number", "set", "string", "symbol", "type",
    "from", "of", "await", "async", "undefined",
))

_SECRET_NAME_CHARS = re.compile(r"[A-Za-z0-9/_+=.@-]+")
_ENV_VAR = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_CFN_ID = re.compile(r"[A-Za-z0-9]+")
_TF_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_SLS_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_ASCII_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ARN_SUFFIX_LOOKALIKE = re.compile(r"-[A-Za-z0-9]{6}$")


@dataclass(frozen=True)
class SnippetOptions:
    """What to render. `None` for function/env_var/secret_name means "the default for this format and target"."""

    format: SnippetFormat
    secret_name: str | None = None
    env_var: str | None = None
    function: str | None = None
    ecs: bool = False
    create_secret: bool = False
    project: str = "app"

    def resolved(self) -> SnippetOptions:
        """The same options with every default filled in (validate first)."""
        default_function = _DEFAULT_FUNCTION[self.format][1 if self.ecs else 0]
        return SnippetOptions(
            format=self.format,
            secret_name=self.secret_name if self.secret_name is not None else default_secret_name(self.project),
            env_var=self.env_var if self.env_var is not None else (DEFAULT_ECS_ENV_VAR if self.ecs else DEFAULT_ENV_VAR),
            function=self.function if self.function is not None else default_function,
            ecs=self.ecs,
            create_secret=self.create_secret,
            project=self.project,
        )


def default_secret_name(project: str) -> str:
    """`<project>/openrouter`, the project part lower-cased and reduced to characters a secret name may hold.

    A directory called `My Project` gives `my-project/openrouter`; one with no usable
    character at all gives `app/openrouter`, so the default is always valid.
    """
    suffix = "/openrouter"
    part = re.sub(r"[^a-z0-9_+=.@-]+", "-", project.strip().lower())
    part = re.sub(r"-{2,}", "-", part).strip("-._")
    part = part[: SECRET_NAME_MAX - len(suffix)].rstrip("-._") or "app"
    return part + suffix


def file_name(format: SnippetFormat | str, ecs: bool = False) -> str:
    """The file a snippet is written to under `--out/snippets/`; named so every format and target can sit side by side."""
    fmt = SnippetFormat(format)
    return _FILE_NAMES[fmt].format(ecs="-ecs" if ecs and fmt is not SnippetFormat.cdk_python else "_ecs" if ecs else "")


def _check_secret_name(name: str) -> None:
    if not name:
        raise SnippetError("--secret-name must not be empty")
    if len(name) > SECRET_NAME_MAX:
        raise SnippetError(f"--secret-name is {len(name)} characters long; Secrets Manager allows at most {SECRET_NAME_MAX}")
    if not _SECRET_NAME_CHARS.fullmatch(name):
        bad = next(c for c in name if not _SECRET_NAME_CHARS.fullmatch(c))
        raise SnippetError(
            f"--secret-name {name!r}: character {bad!r} is not allowed (use letters, digits and / _ + = . @ -)"
        )
    if any(part in ("", ".", "..") for part in name.split("/")):
        raise SnippetError(f"--secret-name {name!r}: empty, '.' or '..' path segments are not allowed")
    if _ARN_SUFFIX_LOOKALIKE.search(name):
        raise SnippetError(
            f"--secret-name {name!r} ends with a hyphen and six characters, which Secrets Manager "
            "mistakes for an ARN suffix; choose another name"
        )


def _check_function(fmt: SnippetFormat, ecs: bool, name: str) -> None:
    what = "task definition" if ecs else "function"
    if not name:
        raise SnippetError("--function must not be empty")
    if len(name) > _NAME_MAX:
        raise SnippetError(f"--function is {len(name)} characters long; at most {_NAME_MAX} are allowed")
    if fmt in (SnippetFormat.cloudformation, SnippetFormat.sam):
        ok, rule = _CFN_ID.fullmatch(name), f"a CloudFormation logical ID of the {what} (letters and digits only)"
    elif fmt is SnippetFormat.terraform:
        ok, rule = _TF_NAME.fullmatch(name), f"a Terraform resource name of the {what} ([A-Za-z_][A-Za-z0-9_-]*)"
    elif fmt is SnippetFormat.serverless:
        ok, rule = _SLS_KEY.fullmatch(name), "a Serverless function key (a letter, then letters, digits, _ or -)"
    elif fmt is SnippetFormat.cdk_ts:
        ok = _ASCII_IDENTIFIER.fullmatch(name) and name not in _TS_RESERVED
        rule = f"a TypeScript variable name of the {'container' if ecs else 'function'} (not a reserved word)"
    else:
        ok = _ASCII_IDENTIFIER.fullmatch(name) and not keyword.iskeyword(name) and not keyword.issoftkeyword(name)
        rule = f"a Python variable name of the {'container' if ecs else 'function'} (not a keyword)"
    if not ok:
        raise SnippetError(f"--function {name!r} is not {rule}")
    if name in _RESERVED_IDS:
        raise SnippetError(f"--function {name!r} collides with a name the snippet itself uses; choose another")


def validate(options: SnippetOptions) -> SnippetOptions:
    """Refuse anything that could break or inject into a template; return the options with defaults filled in.

    Every value lands inside code (string literals, YAML scalars, HCL, `!Sub`
    strings), so the allowed characters are closed sets: no quotes, no `${`,
    no `{{`, no newlines.
    """
    try:
        fmt = SnippetFormat(options.format)
    except ValueError:
        raise SnippetError(f"--format {options.format!r} is not one of {', '.join(f.value for f in SnippetFormat)}") from None
    options = SnippetOptions(fmt, options.secret_name, options.env_var, options.function, options.ecs,
                             options.create_secret, options.project)
    if options.ecs and fmt in _NO_ECS:
        raise SnippetError(
            f"--ecs is not available for --format {fmt.value}: use --format cloudformation, terraform, cdk-ts or cdk-python"
        )
    resolved = options.resolved()
    assert resolved.secret_name is not None and resolved.env_var is not None and resolved.function is not None
    _check_secret_name(resolved.secret_name)
    env_var = resolved.env_var
    if not _ENV_VAR.fullmatch(env_var) or len(env_var) > 255:
        raise SnippetError(f"--env-var {env_var!r} is not an environment variable name (a letter, then letters, digits or _)")
    if env_var.upper().startswith("AWS_"):
        raise SnippetError(f"--env-var {env_var!r}: names starting with AWS_ are reserved by Lambda and ECS")
    _check_function(fmt, resolved.ecs, resolved.function)
    return resolved


def render_snippet(options: SnippetOptions) -> str:
    """The snippet text for OPTIONS (validated here too: the only way in goes through `validate`)."""
    resolved = validate(options)
    template = f"snippets/{resolved.format.value}{'-ecs' if resolved.ecs else ''}.j2"
    return render(
        template,
        format=resolved.format.value,
        secret_name=resolved.secret_name,
        env_var=resolved.env_var,
        function=resolved.function,
        create_secret=resolved.create_secret,
        ecs=resolved.ecs,
        json_key=SECRET_JSON_KEY,
        file_name=file_name(resolved.format, resolved.ecs),
    )


def snippet_format_for(relpath: str, text: str) -> SnippetFormat | None:
    """Which snippet suits the infrastructure file ``relpath``: its own format."""
    name = relpath.rsplit("/", 1)[-1].lower()
    if name.endswith((".ts", ".tsx", ".js", ".mjs", ".cjs")):
        return SnippetFormat.cdk_ts
    if name.endswith(".py"):
        return SnippetFormat.cdk_python
    if name.endswith((".tf", ".tf.json")):
        return SnippetFormat.terraform
    if name.startswith("serverless.") or ("provider:" in text and "service:" in text and "Resources:" not in text):
        return SnippetFormat.serverless
    if name.endswith((".yaml", ".yml", ".json", ".template")):
        return SnippetFormat.sam if "AWS::Serverless" in text else SnippetFormat.cloudformation
    return None


def options_for(fmt: SnippetFormat, principal: str | None, project: str) -> SnippetOptions:
    """Options naming the function or role the removed grant belonged to, when that name suits the format."""
    if principal:
        candidate = SnippetOptions(fmt, function=principal, project=project)
        try:
            return validate(candidate)
        except SnippetError:
            pass
    return validate(SnippetOptions(fmt, project=project))
