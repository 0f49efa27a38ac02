"""The Bedrock Converse ⇄ OpenAI chat-completion tables, defined once.

The source rewrite rules read them to translate calls and the reads of their
responses; the generated runtime helper (``templates/python/openrouter/``)
is rendered from them, so a call rewritten in the source and a call answered
in Bedrock's shape at run time translate alike.
"""

from __future__ import annotations

# inferenceConfig key -> chat-completion argument
INFERENCE_CONFIG = {"maxTokens": "max_tokens", "temperature": "temperature", "topP": "top_p", "stopSequences": "stop"}
# usage key -> chat-completion usage attribute
USAGE_FIELDS = {"inputTokens": "prompt_tokens", "outputTokens": "completion_tokens", "totalTokens": "total_tokens"}
# Bedrock stopReason -> finish_reason. stop_sequence has no finish_reason of its own: it comes back as "stop".
FINISH_REASONS = {"end_turn": "stop", "max_tokens": "length", "tool_use": "tool_calls", "content_filtered": "content_filter"}
# finish_reason -> the stopReason a Bedrock-shaped answer reports
STOP_REASONS = {finish: stop for stop, finish in FINISH_REASONS.items()}
# Every stopReason Bedrock documents (OpenRouter's native_finish_reason may already be one of them).
BEDROCK_STOP_REASONS = ("end_turn", "stop_sequence", "max_tokens", "tool_use", "content_filtered", "guardrail_intervened",
                        "model_context_window_exceeded", "malformed_model_output", "malformed_tool_use")
# Where a Converse response keeps its text.
TEXT_PATH = ("output", "message", "content", 0, "text")
# The Converse request fields and content blocks the translation covers. A request with
# any other (guardrailConfig, promptVariables, performanceConfig, image or document
# blocks, cachePoint, ...) is never sent to OpenRouter without it: statically its
# client stays on Bedrock, and at run time the generated helper hands it to Bedrock.
CHAT_REQUEST_FIELDS = ("modelId", "messages", "system", "inferenceConfig", "toolConfig", "additionalModelRequestFields",
                       "outputConfig")
CHAT_CONTENT_BLOCKS = ("text", "toolUse", "toolResult", "image", "document", "cachePoint", "reasoningContent")
# Bedrock image and document formats -> the media type of the data URL OpenRouter reads (documents: PDF only).
IMAGE_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}
DOCUMENT_TYPES = {"pdf": "application/pdf"}
# OpenRouter's HTTP status -> the error code Bedrock Runtime raises a ClientError with.
ERROR_CODES = {400: "ValidationException", 401: "AccessDeniedException", 402: "AccessDeniedException",
               403: "AccessDeniedException", 404: "ResourceNotFoundException", 408: "ModelTimeoutException",
               413: "ValidationException", 429: "ThrottlingException", 500: "InternalServerException",
               502: "ModelErrorException", 503: "ServiceUnavailableException"}


def template_tables() -> dict[str, str]:
    """The tables as Python source, for the runtime helper template."""
    def quoted(value: str) -> str:
        return f'"{value}"'

    pairs = [f"({quoted(bedrock)}, {quoted(openai)})" for bedrock, openai in INFERENCE_CONFIG.items()]
    return {
        "stop_reasons": "{" + ", ".join(f"{quoted(k)}: {quoted(v)}" for k, v in STOP_REASONS.items()) + "}",
        "bedrock_stop_reasons": "{" + ", ".join(map(quoted, BEDROCK_STOP_REASONS)) + "}",
        # two pairs a line, under the opening parenthesis of the ``for`` loop that reads them
        "inference_config": "(" + (",\n" + " " * 38).join(", ".join(pairs[i:i + 2]) for i in range(0, len(pairs), 2)) + ")",
        "usage": "{" + ", ".join(f"{quoted(bedrock)}: usage.{openai}" for bedrock, openai in USAGE_FIELDS.items()) + "}",
        "no_usage": "{" + ", ".join(f"{quoted(bedrock)}: 0" for bedrock in USAGE_FIELDS) + "}",
        "chat_request_fields": "frozenset({" + ", ".join(map(quoted, CHAT_REQUEST_FIELDS)) + "})",
        "chat_content_blocks": "frozenset({" + ", ".join(map(quoted, CHAT_CONTENT_BLOCKS)) + "})",
        "image_types": "{" + ", ".join(f"{quoted(k)}: {quoted(v)}" for k, v in IMAGE_TYPES.items()) + "}",
        "document_types": "{" + ", ".join(f"{quoted(k)}: {quoted(v)}" for k, v in DOCUMENT_TYPES.items()) + "}",
        "error_codes": "{" + ", ".join(f"{status}: {quoted(code)}" for status, code in ERROR_CODES.items()) + "}",
    }
