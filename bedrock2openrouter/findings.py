"""Findings and the rule registry.

Every place a repository depends on Bedrock becomes one `Finding`, named by a
stable rule code (``B2O…``) so that users, CI annotations and SARIF consumers
can refer to it across releases. Rules are data: the analysers only pick a code,
the wording and category live here, once.

Code families:

- ``B2O1xx`` Python Bedrock Runtime SDK (clients and calls)
- ``B2O2xx`` Python frameworks (LangChain, Anthropic, Strands, LlamaIndex)
- ``B2O3xx`` Bedrock features with no OpenRouter equivalent
- ``B2O4xx`` model IDs and model ARNs in any text file
- ``B2O5xx`` TypeScript / JavaScript SDK and frameworks
- ``B2O6xx`` IAM grants in infrastructure code
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum


class Category(StrEnum):
    CLIENT = "client"
    CALL = "call"
    FRAMEWORK = "framework"
    MODEL_ID = "model-id"
    IAM = "iam"
    UNSUPPORTED = "unsupported"
    DEPENDENCY = "dependency"


class Severity(StrEnum):
    """How urgent a finding is; maps one-to-one onto SARIF levels."""

    ERROR = "error"  # the code calls Bedrock and breaks without it
    WARNING = "warning"  # needs a human decision
    NOTE = "note"  # a mechanical change, informational


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    name: str
    category: Category
    severity: Severity
    fixable: bool  # `migrate` rewrites it today; a rule still to be built says False until it is
    summary: str  # one line, used when a finding has no message of its own
    help: str  # what to do; shown in SARIF and the docs


_RULES: tuple[Rule, ...] = (
    # -- Python SDK ---------------------------------------------------------
    Rule("B2O101", "bedrock-runtime-client", Category.CLIENT, Severity.ERROR, True,
         "Bedrock Runtime client created",
         "The client becomes an OpenAI SDK client pointed at OpenRouter (OPENROUTER_API_KEY / OPENROUTER_SECRET_ARN)."),
    Rule("B2O102", "converse-call", Category.CALL, Severity.ERROR, True,
         "Bedrock Converse call",
         "Becomes client.chat.completions.create(...); content blocks become strings, system becomes a leading system message."),
    Rule("B2O103", "converse-stream-call", Category.CALL, Severity.ERROR, True,
         "Bedrock ConverseStream call",
         "Becomes client.chat.completions.create(..., stream=True); contentBlockDelta events become chunk deltas."),
    Rule("B2O104", "invoke-model-call", Category.CALL, Severity.ERROR, False,
         "Bedrock InvokeModel call",
         "The provider-specific request body becomes a chat completion; the response access is rewritten per provider family."),
    Rule("B2O105", "invoke-model-stream-call", Category.CALL, Severity.ERROR, False,
         "Bedrock InvokeModelWithResponseStream call",
         "Becomes a streaming chat completion; chunk decoding is rewritten per provider family."),
    Rule("B2O107", "dependency-not-added", Category.DEPENDENCY, Severity.WARNING, False,
         "openai could not be added to a dependency file",
         "Migrated code imports openai, but this file that installs the code could not take it (hashed requirements, dynamic or unparsable dependencies): add openai>=1.30 there by hand, or the deployed code fails to import."),
    Rule("B2O106", "converse-compat", Category.CALL, Severity.NOTE, False,
         "Converse call answered in Bedrock's shape",
         "The call now goes to OpenRouter through the generated bedrock_converse / BedrockRuntimeCompat, because the migration could not follow every read of the response. It works as before; rewrite it to client.chat.completions.create(...) by hand when convenient."),
    # -- Python frameworks ----------------------------------------------------
    Rule("B2O201", "langchain-chat-bedrock", Category.FRAMEWORK, Severity.ERROR, False,
         "LangChain ChatBedrock model",
         "Use langchain_openai.ChatOpenAI with base_url=OPENROUTER_BASE_URL and the mapped model."),
    Rule("B2O202", "langchain-chat-bedrock-converse", Category.FRAMEWORK, Severity.ERROR, False,
         "LangChain ChatBedrockConverse model",
         "Use langchain_openai.ChatOpenAI with base_url=OPENROUTER_BASE_URL and the mapped model."),
    Rule("B2O203", "langchain-bedrock-llm", Category.FRAMEWORK, Severity.ERROR, False,
         "LangChain BedrockLLM / legacy Bedrock LLM",
         "Use langchain_openai.ChatOpenAI (chat) against OpenRouter; completion-style prompts become a single user message."),
    Rule("B2O204", "anthropic-bedrock-client", Category.FRAMEWORK, Severity.ERROR, False,
         "Anthropic SDK AnthropicBedrock client",
         "Use the OpenAI SDK against OpenRouter, or the Anthropic SDK with OpenRouter's base URL."),
    Rule("B2O205", "strands-bedrock-model", Category.FRAMEWORK, Severity.ERROR, False,
         "Strands Agents BedrockModel",
         "Use strands.models.openai.OpenAIModel with client_args pointing at OpenRouter."),
    Rule("B2O206", "llamaindex-bedrock", Category.FRAMEWORK, Severity.ERROR, False,
         "LlamaIndex Bedrock LLM",
         "Use llama_index.llms.openrouter.OpenRouter (or OpenAILike) with the mapped model."),
    # -- unsupported features ---------------------------------------------------
    Rule("B2O301", "embedding-model", Category.UNSUPPORTED, Severity.WARNING, False,
         "Bedrock embedding model",
         "OpenRouter has no equivalent of this embedding model: vectors from another model are not compatible with an existing index. Keep Bedrock for embeddings or re-embed the corpus with a new provider."),
    Rule("B2O302", "image-model", Category.UNSUPPORTED, Severity.WARNING, False,
         "Bedrock image, video or speech model",
         "OpenRouter serves chat completions; keep this call on Bedrock or move it to a dedicated image/speech provider."),
    Rule("B2O303", "agents-runtime", Category.UNSUPPORTED, Severity.WARNING, False,
         "Bedrock Knowledge Bases / Agents runtime",
         "Knowledge Bases, Agents and Flows run inside AWS; keep them on Bedrock or rebuild retrieval around chat completions."),
    Rule("B2O304", "guardrails", Category.UNSUPPORTED, Severity.WARNING, False,
         "Bedrock Guardrails",
         "OpenRouter has no Guardrails; keep ApplyGuardrail on Bedrock or moderate in the application."),
    Rule("B2O305", "step-functions-bedrock-task", Category.UNSUPPORTED, Severity.WARNING, False,
         "Step Functions Bedrock task",
         "The state machine calls Bedrock directly and grants itself access; replace the task with a Lambda that calls OpenRouter."),
    Rule("B2O306", "opaque-model-arn", Category.UNSUPPORTED, Severity.WARNING, False,
         "Model ARN that cannot be resolved statically",
         "Application inference profiles, provisioned, custom and imported models hide the model behind an account-specific ARN; add a row for it to a --model-map file."),
    Rule("B2O307", "bedrock-vpc-endpoint", Category.UNSUPPORTED, Severity.WARNING, False,
         "bedrock-runtime VPC endpoint",
         "A function in a VPC reached Bedrock through this endpoint; OpenRouter needs outbound internet (a NAT gateway). Remove the endpoint once nothing uses it."),
    Rule("B2O308", "client-option-dropped", Category.UNSUPPORTED, Severity.WARNING, False,
         "boto3 client option with no OpenRouter equivalent",
         "The migrated client no longer has this option (a Bedrock endpoint, a proxy, signing settings): check whether the application relied on it."),
    Rule("B2O309", "converse-field-kept", Category.CALL, Severity.WARNING, False,
         "Converse request part with no OpenRouter translation",
         "The call names a request field or content block the chat-completion translation does not carry (prompt variables, performance or response-field settings, video, guard-content or reasoning blocks, ...). The call and its client stay on Bedrock, so the program answers as before; move it by hand once OpenRouter can do what the part asks."),
    # -- model IDs --------------------------------------------------------------
    Rule("B2O401", "bedrock-model-id", Category.MODEL_ID, Severity.NOTE, True,
         "Bedrock model ID",
         "Replaced by its OpenRouter ID through the model table."),
    Rule("B2O402", "bedrock-model-arn", Category.MODEL_ID, Severity.NOTE, True,
         "Bedrock foundation-model or inference-profile ARN",
         "Replaced by the OpenRouter ID of the model it names."),
    Rule("B2O403", "model-needs-review", Category.MODEL_ID, Severity.WARNING, False,
         "Bedrock model ID replaced by a different OpenRouter model",
         "The exact model is not on OpenRouter (retired, or only a neighbour of the family exists); check that the chosen model suits the feature."),
    Rule("B2O404", "dynamic-model-id", Category.MODEL_ID, Severity.WARNING, False,
         "Model ID assembled at run time",
         "Part of the ID (a regional prefix) comes from an expression; OpenRouter IDs have no region: write the OpenRouter ID instead."),
    Rule("B2O405", "model-id-from-environment", Category.MODEL_ID, Severity.WARNING, False,
         "Model ID read from an environment variable",
         "The default in the code is migrated, but a deployed environment still sets a Bedrock ID: change the variable where it is set (Lambda configuration, task definition, .env)."),
    # -- TypeScript / JavaScript --------------------------------------------------
    Rule("B2O501", "js-bedrock-runtime-client", Category.CLIENT, Severity.ERROR, False,
         "BedrockRuntimeClient created",
         "Use fetch against OpenRouter's /chat/completions (or the openai package) with the key from OPENROUTER_SECRET_ARN."),
    Rule("B2O502", "js-converse-command", Category.CALL, Severity.ERROR, False,
         "ConverseCommand",
         "Becomes a chat completion request; content blocks become strings."),
    Rule("B2O503", "js-converse-stream-command", Category.CALL, Severity.ERROR, False,
         "ConverseStreamCommand",
         "Becomes a streaming chat completion request (server-sent events)."),
    Rule("B2O504", "js-invoke-model-command", Category.CALL, Severity.ERROR, False,
         "InvokeModelCommand",
         "The provider-specific body becomes a chat completion request."),
    Rule("B2O505", "js-invoke-model-stream-command", Category.CALL, Severity.ERROR, False,
         "InvokeModelWithResponseStreamCommand",
         "Becomes a streaming chat completion request."),
    Rule("B2O506", "js-langchain-bedrock", Category.FRAMEWORK, Severity.ERROR, False,
         "LangChain.js Bedrock model",
         "Use ChatOpenAI from @langchain/openai with configuration.baseURL set to OpenRouter."),
    # -- IAM ------------------------------------------------------------------------
    Rule("B2O601", "bedrock-invoke-statement", Category.IAM, Severity.NOTE, True,
         "IAM statement granting Bedrock model invocation",
         "The statement is removed; the function reads the OpenRouter key from Secrets Manager instead (see `snippet`)."),
    Rule("B2O602", "bedrock-mixed-statement", Category.IAM, Severity.NOTE, True,
         "IAM statement mixing Bedrock invocation with other actions",
         "Only the Bedrock actions are removed; the other actions stay."),
    Rule("B2O603", "marketplace-statement", Category.IAM, Severity.NOTE, True,
         "AWS Marketplace statement for Bedrock model access",
         "Marketplace subscriptions were needed for Bedrock third-party models only; the statement is removed."),
    Rule("B2O604", "bedrock-other-actions", Category.IAM, Severity.WARNING, False,
         "IAM grant for Bedrock actions other than model invocation",
         "Knowledge Base, Agent, Guardrail and control-plane actions stay as long as the code uses those features; review them by hand."),
    Rule("B2O605", "bedrock-managed-policy", Category.IAM, Severity.WARNING, False,
         "AWS managed Bedrock policy attached",
         "Managed policies such as AmazonBedrockFullAccess are not edited automatically; detach the policy once nothing uses Bedrock."),
)

RULES: dict[str, Rule] = {rule.code: rule for rule in _RULES}


def get_rule(code: str) -> Rule:
    try:
        return RULES[code]
    except KeyError:
        raise KeyError(f"unknown rule code {code!r}") from None


@dataclass(frozen=True, slots=True, order=True)
class Finding:
    """One place that depends on Bedrock.

    ``line``/``column`` are 1-based; ``column`` counts characters. In a notebook
    they are relative to the code cell named by ``cell`` (0-based index).
    """

    path: str
    line: int
    column: int
    rule: str
    category: str
    severity: str
    message: str
    fixable: bool
    end_line: int | None = None
    end_column: int | None = None
    cell: int | None = None
    subject: str | None = None  # the model ID or ARN a model finding is about, as written

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        for optional in ("end_line", "end_column", "cell", "subject"):
            if data[optional] is None:
                del data[optional]
        return data


def make_finding(
    code: str,
    path: str,
    line: int,
    column: int,
    message: str | None = None,
    *,
    end_line: int | None = None,
    end_column: int | None = None,
    cell: int | None = None,
    subject: str | None = None,
) -> Finding:
    """Build a finding whose category, severity and fixability come from its rule."""
    rule = get_rule(code)
    return Finding(
        path=path,
        line=line,
        column=column,
        rule=rule.code,
        category=rule.category.value,
        severity=rule.severity.value,
        message=message or rule.summary,
        fixable=rule.fixable,
        end_line=end_line,
        end_column=end_column,
        cell=cell,
        subject=subject,
    )


@dataclass(frozen=True, slots=True)
class FileError:
    """A file the run could not analyse; it is reported and left untouched."""

    path: str
    message: str
    line: int | None = None
    column: int | None = None

    def to_dict(self) -> dict[str, object]:
        return {key: value for key, value in asdict(self).items() if value is not None}


class ParseFailure(Exception):
    """Raised by an analyser when a file cannot be parsed; becomes a `FileError`."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
