"""Move a code base from Amazon Bedrock to OpenRouter, reviewably and reversibly."""

__version__ = "0.1.0"
