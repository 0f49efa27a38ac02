"""Find Bedrock in Python source: clients, calls, frameworks, unsupported features, model IDs.

Names are resolved, not matched as text: a call counts when its receiver is
traced to a ``bedrock-runtime`` client (`ClientTracer`), a framework class when
its qualified name comes from the framework's package, so local classes that
shadow library names (``class BedrockModel``) stay out of the report.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import CodePosition

from ..findings import Finding, ParseFailure, make_finding
from ..modelids import find_model_references
from ..parsing import memoised, remember
from ..textids import REWRITABLE_RULES, reference_finding
from ..workspace import SourceFile
from .clients import AGENT_RUNTIME_SERVICE, RUNTIME_SERVICE, ClientTracer, ModuleFacts
from .context import NO_CONTEXT, AnalysisContext
from .converse_fields import CONVERSE_METHODS, GUARDRAIL_FIELDS, untranslated_parts
from .syntax import ModuleSyntax

RUNTIME_CALL_RULES = {
    "converse": "B2O102",
    "converse_stream": "B2O103",
    "invoke_model": "B2O104",
    "invoke_model_with_response_stream": "B2O105",
}
RUNTIME_UNSUPPORTED_RULES = {
    "apply_guardrail": "B2O304",
    "invoke_model_with_bidirectional_stream": "B2O302",
    "start_async_invoke": "B2O302",
}
AGENT_RUNTIME_METHODS = frozenset(
    {"retrieve", "retrieve_and_generate", "retrieve_and_generate_stream", "invoke_agent",
     "invoke_inline_agent", "invoke_flow", "rerank"}
)
GUARDRAIL_KEYWORDS = frozenset({"guardrailConfig", "guardrailIdentifier"})

_LANGCHAIN = frozenset({"langchain_aws", "langchain_community", "langchain"})
# class name -> (rule, packages it must come from)
FRAMEWORK_CLASSES: dict[str, tuple[str, frozenset[str]]] = {
    "ChatBedrock": ("B2O201", _LANGCHAIN),
    "BedrockChat": ("B2O201", _LANGCHAIN),
    "ChatBedrockConverse": ("B2O202", _LANGCHAIN),
    "BedrockLLM": ("B2O203", _LANGCHAIN),
    "Bedrock": ("B2O203", _LANGCHAIN),
    "AnthropicBedrock": ("B2O204", frozenset({"anthropic"})),
    "AsyncAnthropicBedrock": ("B2O204", frozenset({"anthropic"})),
    "BedrockModel": ("B2O205", frozenset({"strands"})),
    "BedrockConverse": ("B2O206", frozenset({"llama_index"})),
    "BedrockEmbeddings": ("B2O301", _LANGCHAIN),
    "BedrockEmbedding": ("B2O301", frozenset({"llama_index"})),
    "BedrockRerank": ("B2O301", _LANGCHAIN),
    "AmazonKnowledgeBasesRetriever": ("B2O303", _LANGCHAIN),
}
# LlamaIndex's chat class is plainly "Bedrock", like LangChain's legacy LLM.
_LLAMA_INDEX_BEDROCK = ("B2O206", frozenset({"llama_index"}))


@memoised("libcst")
def parse_python(code: str) -> cst.Module:
    try:
        return cst.parse_module(code)
    except cst.ParserSyntaxError as error:
        raise _syntax_failure(code, error) from None


def _syntax_failure(code: str, error: cst.ParserSyntaxError) -> ParseFailure:
    """CPython's own message and position: clearer than the CST parser's token list."""
    return python_syntax_error(code) or ParseFailure(
        "Python syntax that libcst cannot parse", error.raw_line, error.raw_column + 1)


def python_syntax_error(code: str) -> ParseFailure | None:
    """CPython's verdict on ``code`` (its own parser, much faster than building a tree): None when it compiles."""
    try:
        compile(code, "<source>", "exec", dont_inherit=True, flags=ast.PyCF_ONLY_AST)
    except SyntaxError as syntax:
        return ParseFailure(f"Python syntax error: {syntax.msg}", syntax.lineno, syntax.offset)
    except (ValueError, RecursionError, MemoryError):
        pass
    return None


def adopt_tree(code: str, module: cst.Module) -> ParseFailure | None:
    """Let ``module``, built in memory, stand as the parse of ``code`` (its own printed code), once CPython accepts it.

    A rewrite is analysed again from the tree it built instead of parsing what it printed.
    """
    failure = python_syntax_error(code)
    if failure is None:
        remember("libcst", module, code)
    return failure


@dataclass(frozen=True, slots=True)
class UntracedCall:
    """A Converse call on a client made elsewhere: its findings, and what its receiver is called.

    Once the whole project has been seen, such a call may turn out to reach a
    client that now answers from OpenRouter (`engine`); its findings then go.
    Any other method on such a client still reaches Bedrock (the stand-in hands
    it to the real client), so its findings stay.
    """

    findings: tuple[Finding, ...]
    receiver_names: frozenset[str]


class _UsageFinder:
    """Turns the module's calls, attributes and strings into findings."""

    def __init__(self, path: str, syntax: ModuleSyntax, facts: ModuleFacts, tracer: ClientTracer,
                 context: AnalysisContext) -> None:
        self.path = path
        self.context = context
        self.syntax = syntax
        self.facts = facts
        self.tracer = tracer
        self.findings: list[Finding] = []
        self.untraced: list[UntracedCall] = []
        # Findings wait for their positions, which one code generation then gives them all at once.
        self._pending: list[tuple[cst.CSTNode, Callable[[CodePosition], Finding]]] = []
        self._untraced: list[tuple[int, int, frozenset[str]]] = []  # pending findings [start, end) of a call
        self._untraced_calls: list[tuple[int, cst.Attribute]] = []  # pending index of an untraced call's finding
        self._id_strings: list[tuple[int, cst.CSTNode]] = []  # pending index of a model ID finding, its string
        self.id_sources: dict[Finding, cst.CSTNode] = {}  # model ID finding -> the string literal it is in
        self.untraced_call_findings: dict[cst.Attribute, Finding] = {}  # untraced Converse call -> its finding

    def run(self, trace: bool) -> list[Finding]:
        if trace:
            called = {call.func for call in self.facts.calls if isinstance(call.func, cst.Attribute)}
            for call in self.facts.calls:
                self._check_call(call)
            for attribute in self.facts.attributes:
                if attribute not in called:
                    self._check_method(attribute, None)
        for string in self.facts.strings:
            self._check_string(string)
        for call in self.facts.calls:
            self._check_environment_default(call)
        starts = self.syntax.positions(node for node, _ in self._pending)
        self.findings = [build(starts[node].start) for node, build in self._pending]
        self.untraced = [UntracedCall(tuple(self.findings[start:end]), names) for start, end, names in self._untraced]
        self.untraced_call_findings = {attribute: self.findings[index] for index, attribute in self._untraced_calls}
        self.id_sources = {self.findings[index]: node for index, node in self._id_strings
                           if self.findings[index].rule in REWRITABLE_RULES}
        return self.findings

    def _defer(self, node: cst.CSTNode, build: Callable[[CodePosition], Finding]) -> None:
        self._pending.append((node, build))

    def _check_environment_default(self, call: cst.Call) -> None:
        """``os.environ.get("MODEL_ID", "<Bedrock ID>")``: the default moves, the deployed value does not."""
        if dotted(call.func) not in ENVIRONMENT_LOOKUPS or len(call.args) < 2:
            return
        name, default = call.args[0].value, call.args[1].value
        if not isinstance(name, cst.SimpleString) or not isinstance(default, cst.SimpleString):
            return
        references = find_model_references(default.value)
        if references:
            variable = name.evaluated_value
            message = (f"{variable} defaults to {references[0].text!r}; where {variable} is set, "
                       "it still names a Bedrock model")
            self._defer(call, lambda start: make_finding("B2O405", self.path, start.line, start.column + 1, message,
                                                         subject=None))

    def start(self, node: cst.CSTNode) -> CodePosition:
        return CodePosition(*self.syntax.position(node))

    def _add(self, code: str, node: cst.CSTNode, message: str | None = None) -> None:
        self._defer(node, lambda start: make_finding(code, self.path, start.line, start.column + 1, message))

    # clients and frameworks ------------------------------------------------------
    def _check_call(self, node: cst.Call) -> None:
        service = self.tracer.creation_service(node)
        if service == RUNTIME_SERVICE:
            self._add("B2O101", node, "Bedrock Runtime client created")
        framework = self._framework_rule(node.func)
        if framework is not None:
            rule, class_name = framework
            self._add(rule, node, f"{class_name} instantiated")
        if isinstance(node.func, cst.Attribute):
            self._check_method(node.func, node)

    def _check_method(self, attribute: cst.Attribute, call: cst.Call | None) -> None:
        method = attribute.attr.value
        if method not in RUNTIME_CALL_RULES and method not in RUNTIME_UNSUPPORTED_RULES and method not in AGENT_RUNTIME_METHODS:
            return
        service = self.tracer.service_of(attribute.value)
        how = f"{method}()" if call is not None else f"{method} passed as a value"
        if service == RUNTIME_SERVICE and method in RUNTIME_CALL_RULES:
            self._add(RUNTIME_CALL_RULES[method], attribute, f"Bedrock Runtime {how}")
        elif service == RUNTIME_SERVICE and method in RUNTIME_UNSUPPORTED_RULES:
            self._add(RUNTIME_UNSUPPORTED_RULES[method], attribute, f"Bedrock Runtime {how} has no OpenRouter equivalent")
        elif service == AGENT_RUNTIME_SERVICE and method in AGENT_RUNTIME_METHODS:
            self._add("B2O303", attribute, f"Bedrock Agents runtime {how}: Knowledge Bases and Agents stay on AWS")
        elif service is None and method in RUNTIME_CALL_RULES and call is not None and _keyword(call, "modelId"):
            # The client came from elsewhere (a parameter, another module); boto3's
            # camelCase modelId= argument is what identifies the SDK call. Whether that
            # client now answers from OpenRouter is for the project pass to say.
            start = len(self._pending)
            self._add(RUNTIME_CALL_RULES[method], attribute, f"Bedrock Runtime {how} (client from outside this file)")
            if method in CONVERSE_METHODS:  # what a migrated client (BedrockRuntimeCompat) answers from OpenRouter
                self._untraced.append((start, len(self._pending), self._receiver_names(attribute.value)))
                self._untraced_calls.append((start, attribute))
        else:
            return
        if call is not None:
            self._add_kept_parts(call, method)

    def _add_kept_parts(self, call: cst.Call, method: str) -> None:
        """What keeps a call on Bedrock: a guardrail, and on Converse any field or block not translated.

        Outside the untraced call's own findings, so a project pass that finds the
        client migrated never drops them: the helper sends such a call to Bedrock.
        """
        if method not in CONVERSE_METHODS:
            for arg in call.args:
                if arg.keyword is not None and arg.keyword.value in GUARDRAIL_KEYWORDS:
                    self._add("B2O304", arg, f"{arg.keyword.value} applies a Bedrock guardrail: OpenRouter has none")
            return
        for node, part in untranslated_parts(call, self.tracer):
            if part in GUARDRAIL_FIELDS:
                self._add("B2O304", node, f"{part} applies a Bedrock guardrail: OpenRouter has none, "
                                          "so the call stays on Bedrock")
            else:
                self._add("B2O309", node, f"{part} has no OpenRouter translation: the call stays on Bedrock")

    def _receiver_names(self, receiver: cst.BaseExpression) -> frozenset[str]:
        """Absolute qualified names of the receiver's root (``app.clients.bedrock`` of ``bedrock.converse``)."""
        root = receiver
        while isinstance(root, (cst.Attribute, cst.Call)):
            root = root.value if isinstance(root, cst.Attribute) else root.func
        return frozenset(self.context.absolute(name) for name in self.tracer.qualified_names(root))

    def _framework_rule(self, func: cst.BaseExpression) -> tuple[str, str] | None:
        for qualified in self.tracer.qualified_names(func):
            parts = qualified.split(".")
            class_name, package = parts[-1], parts[0]
            rule, packages = FRAMEWORK_CLASSES.get(class_name, (None, frozenset()))
            if class_name == "Bedrock" and package in _LLAMA_INDEX_BEDROCK[1]:
                rule, packages = _LLAMA_INDEX_BEDROCK
            if rule is not None and package in packages:
                return rule, class_name
        return None

    # model IDs in string literals ---------------------------------------------------
    def _check_string(self, node: cst.SimpleString | cst.FormattedStringText) -> None:
        raw = node.value
        for reference in find_model_references(raw):
            self._id_strings.append((len(self._pending), node))
            self._defer(node, lambda start, reference=reference: reference_finding(
                reference, self.path, *_offset_position(start, raw, reference.start)))
        if isinstance(node, cst.FormattedStringText) and raw.startswith("."):
            # f"{region}.anthropic.claude-…": an ID behind a regional prefix computed at run time.
            for reference in find_model_references(raw[1:]):
                if reference.start == 0 and reference.model_id is not None:
                    message = f"model ID {reference.model_id!r} follows a regional prefix computed at run time"
                    self._defer(node, lambda start, message=message, subject=reference.text: make_finding(
                        "B2O404", self.path, *_offset_position(start, raw, 1), message, subject=subject))


def _offset_position(start: CodePosition, raw: str, offset: int) -> tuple[int, int]:
    newlines = raw.count("\n", 0, offset)
    if newlines == 0:
        return start.line, start.column + offset + 1
    return start.line + newlines, offset - raw.rfind("\n", 0, offset)


def _keyword(call: cst.Call, name: str) -> bool:
    return any(arg.keyword is not None and arg.keyword.value == name for arg in call.args)


def imports_aws_cdk(module: cst.Module) -> bool:
    """Whether the module imports CDK at its top level: only then can it hold CDK IAM statements."""
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Import):
                names = [alias.name for alias in small.names]
            elif isinstance(small, cst.ImportFrom) and small.module is not None and not small.relative:
                names = [small.module]
            else:
                continue
            if any(dotted(name).split(".")[0] == "aws_cdk" for name in names):
                return True
    return False


def dotted(node: cst.BaseExpression) -> str:
    return f"{dotted(node.value)}.{node.attr.value}" if isinstance(node, cst.Attribute) else getattr(node, "value", "")


ENVIRONMENT_LOOKUPS = frozenset({"os.environ.get", "os.getenv", "environ.get", "getenv"})

# Code that never says "bedrock" (nor boto3's modelId) cannot create a client, call one or
# build a framework model; its strings are all that can matter.
_MAY_USE_BEDROCK = re.compile(r"bedrock|modelId", re.IGNORECASE)


@dataclass(slots=True)
class Analysis:
    """One parsed module with everything the analysis learned about it."""

    module: cst.Module
    syntax: ModuleSyntax
    facts: ModuleFacts
    tracer: ClientTracer
    findings: list[Finding]
    finder: _UsageFinder

    @property
    def untraced(self) -> list[UntracedCall]:
        return self.finder.untraced

    def position(self, node: cst.CSTNode) -> tuple[int, int]:
        start = self.finder.start(node)
        return start.line, start.column + 1


def parse_analysis(code: str, path: str, context: AnalysisContext = NO_CONTEXT) -> Analysis:
    module = parse_python(code)
    syntax = ModuleSyntax(module)
    facts = ModuleFacts(syntax)
    tracer = ClientTracer(syntax, facts)
    finder = _UsageFinder(path, syntax, facts, tracer, context)
    findings = finder.run(trace=_MAY_USE_BEDROCK.search(code) is not None)
    return Analysis(module, syntax, facts, tracer, findings, finder)


def analyze_code(code: str, path: str, context: AnalysisContext = NO_CONTEXT) -> tuple[list[Finding], cst.Module]:
    """Findings for one piece of Python code, and the module it parsed."""
    analysis = parse_analysis(code, path, context)
    return analysis.findings, analysis.module


def analyze_module(source: SourceFile, context: AnalysisContext = NO_CONTEXT) -> Analysis:
    """Every finding in one Python file, CDK IAM statements included, with the analysis that found them."""
    analysis = parse_analysis(source.text, source.relpath, context)
    if imports_aws_cdk(analysis.module):
        from ..iac.cdk_python import analyze_cdk_python, wrapper_for

        analysis.findings += analyze_cdk_python(source, wrapper_for(analysis.module))
    return analysis


def analyze(source: SourceFile, context: AnalysisContext = NO_CONTEXT) -> list[Finding]:
    """Every finding in one Python file, CDK IAM statements included."""
    return analyze_module(source, context).findings
