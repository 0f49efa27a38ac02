"""Local fake Bedrock Runtime and OpenRouter services for behaviour tests.

Both answer through one deterministic brain (`brain.py`), so a Bedrock program
and its migrated OpenRouter twin print the same output when the migration is
right. They listen on 127.0.0.1 only, on ephemeral ports, and never touch the
network beyond that.
"""

from .bedrock import running_fake_bedrock
from .openrouter import running_fake_openrouter
from .server import RecordedRequest, RunningFake

__all__ = ["RecordedRequest", "RunningFake", "running_fake_bedrock", "running_fake_openrouter"]
