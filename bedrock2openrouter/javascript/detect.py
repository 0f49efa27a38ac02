"""Find Bedrock usage in one TypeScript or JavaScript file (scan only, no rewriting).

Every detection starts at a syntax node and asks `Imports.resolve` which module
export it names, so a project class that merely shares a name with the SDK
(``class BedrockRuntimeClient``, ``gateway.invokeModel()``) is never reported.
Model-ID strings are left to the text scanner; CDK constructs (IAM grants,
Step Functions Bedrock tasks, VPC endpoints) to `iac.cdk_typescript`, which
reuses this file's parse.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from tree_sitter import Node

from ..findings import Finding
from ..iac import cdk_typescript
from ..workspace import SourceFile
from .parser import Origin, ParsedSource, first_argument, parse

RUNTIME = "@aws-sdk/client-bedrock-runtime"
AGENT_RUNTIME = "@aws-sdk/client-bedrock-agent-runtime"
_LANGCHAIN_CHAT = (
    "@langchain/aws",
    "@langchain/community/chat_models/bedrock",
    "@langchain/community/chat_models/bedrock/web",
    "@langchain/community/llms/bedrock",
    "@langchain/community/llms/bedrock/web",
    "langchain/chat_models/bedrock",
    "langchain/llms/bedrock",
)
_LANGCHAIN_EMBEDDINGS = ("@langchain/aws", "@langchain/community/embeddings/bedrock", "langchain/embeddings/bedrock")
_LANGCHAIN_RETRIEVERS = ("@langchain/aws", "@langchain/community/retrievers/amazon_knowledge_base")

_RUNTIME_METHODS = {
    "converse": "B2O502",
    "converseStream": "B2O503",
    "invokeModel": "B2O504",
    "invokeModelWithResponseStream": "B2O505",
    "applyGuardrail": "B2O304",
}
_AGENT_METHODS = dict.fromkeys(
    ("retrieve", "retrieveAndGenerate", "retrieveAndGenerateStream", "invokeAgent", "invokeInlineAgent", "invokeFlow"),
    "B2O303",
)


@dataclass(frozen=True, slots=True)
class _Target:
    """What ``new <export>(...)`` means: its rule, its message, and for aggregated clients their methods."""

    rule: str | None
    message: str
    methods: dict[str, str] = field(default_factory=dict)
    shows_region: bool = False  # clients and models: the message names the region they are built for


def _targets(modules: Iterable[str], names: Iterable[str], rule: str | None, message: str,
             methods: dict[str, str] | None = None, shows_region: bool = False) -> dict[Origin, _Target]:
    return {
        Origin(module, name): _Target(rule, message.format(name=name, module=module), methods or {}, shows_region)
        for module in modules
        for name in names
    }


_CONSTRUCTORS: dict[Origin, _Target] = {
    **_targets([RUNTIME], ["BedrockRuntimeClient"], "B2O501", "{name} created", shows_region=True),
    **_targets([RUNTIME], ["BedrockRuntime"], "B2O501", "{name} client created", _RUNTIME_METHODS, True),
    **_targets([RUNTIME], ["ConverseCommand"], "B2O502", "{name} sent to Bedrock Runtime"),
    **_targets([RUNTIME], ["ConverseStreamCommand"], "B2O503", "{name} sent to Bedrock Runtime"),
    **_targets([RUNTIME], ["InvokeModelCommand"], "B2O504", "{name} sent to Bedrock Runtime"),
    **_targets([RUNTIME], ["InvokeModelWithResponseStreamCommand"], "B2O505", "{name} sent to Bedrock Runtime"),
    **_targets([RUNTIME], ["ApplyGuardrailCommand"], "B2O304",
               "{name} sent to Bedrock Runtime: Guardrails stay on Bedrock"),
    **_targets(
        [AGENT_RUNTIME],
        ["RetrieveCommand", "RetrieveAndGenerateCommand", "RetrieveAndGenerateStreamCommand",
         "InvokeAgentCommand", "InvokeInlineAgentCommand", "InvokeFlowCommand"],
        "B2O303", "{name} sent to Bedrock Agents runtime: stays on Bedrock",
    ),
    **_targets([AGENT_RUNTIME], ["BedrockAgentRuntime"], None, "", _AGENT_METHODS),
    **_targets(_LANGCHAIN_CHAT, ["ChatBedrockConverse", "BedrockChat", "Bedrock"], "B2O506",
               "LangChain.js {name} ({module})", shows_region=True),
    **_targets(_LANGCHAIN_EMBEDDINGS, ["BedrockEmbeddings"], "B2O301",
               "LangChain.js {name} ({module}): Bedrock embeddings have no OpenRouter equivalent"),
    **_targets(_LANGCHAIN_RETRIEVERS, ["AmazonKnowledgeBaseRetriever"], "B2O303",
               "LangChain.js {name} queries a Bedrock Knowledge Base: stays on Bedrock"),
}

_QUERY = """
(new_expression) @new
(call_expression function: (member_expression)) @call
"""


def analyze(source: SourceFile) -> list[Finding]:
    """Every Bedrock dependency in one TS/JS file, sorted by position; raises `ParseFailure`."""
    parsed = parse(source)
    return sorted(find_sdk_usage(parsed) + cdk_typescript.analyze_cdk_typescript(parsed))


def find_sdk_usage(parsed: ParsedSource) -> list[Finding]:
    """SDK clients and commands, LangChain.js models, Knowledge Bases/Agents, Guardrails."""
    imports = parsed.imports
    found = parsed.captures(_QUERY)
    findings: list[Finding] = []
    receivers: dict[str, tuple[str, dict[str, str]]] = {}  # "client" / "this.client" -> (class, methods)
    for node in found.get("new", []):
        origin = imports.callee(node)
        if origin in _CONSTRUCTORS:
            target = _CONSTRUCTORS[origin]
            if target.rule:
                message = target.message + (_region(parsed, node) if target.shows_region else "")
                findings.append(parsed.finding(node, target.rule, message))
            if target.methods and (receiver := _receiver(parsed, node)):
                receivers[receiver] = (origin.name, target.methods)
    for node in found.get("call", []):
        function = node.child_by_field_name("function")
        receiver = parsed.text(function.child_by_field_name("object"))
        method = parsed.text(function.child_by_field_name("property"))
        if receiver in receivers and method in receivers[receiver][1]:
            class_name, methods = receivers[receiver]
            findings.append(
                parsed.finding(node, methods[method], f"{method}() called on the {class_name} client {receiver}")
            )
    return findings


def _region(parsed: ParsedSource, new: Node) -> str:
    """`` (region us-east-1)`` / `` (region from process.env.REGION)`` when the options name one."""
    value = parsed.property(first_argument(new), "region")
    if value is None:
        return ""
    literal = parsed.literal(value)
    if literal is not None:
        return f" (region {literal})"
    text = " ".join(parsed.text(value).split())
    return f" (region from {text if len(text) <= 60 else text[:57] + '...'})"


def _receiver(parsed: ParsedSource, new: Node) -> str | None:
    """The name an aggregated client is stored under: ``client``, or ``this.client`` for a class field."""
    parent = new.parent
    while parent is not None and parent.type in ("parenthesized_expression", "as_expression", "await_expression"):
        parent = parent.parent
    if parent is None:
        return None
    if parent.type == "variable_declarator":
        name = parent.child_by_field_name("name")
    elif parent.type == "assignment_expression":
        name = parent.child_by_field_name("left")
    elif parent.type in ("public_field_definition", "field_definition"):
        name = parent.child_by_field_name("name") or parent.child_by_field_name("property")
        return f"this.{parsed.text(name)}" if name is not None else None
    else:
        return None
    return parsed.text(name) if name is not None and name.type in ("identifier", "member_expression") else None

