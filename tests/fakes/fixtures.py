"""Session-scoped pytest fixtures for the fakes; import them into a conftest or test module.

Each yields a `RunningFake`: `.url`, `.requests` (list of `RecordedRequest`),
`.env()` (variables for a subprocess), `.clear()`, `.errors`, `.server_address`.
The servers are shared by the whole session, so compare `len(fake.requests)`
before and after, or call `fake.clear()`, rather than assuming an empty list.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .bedrock import running_fake_bedrock
from .openrouter import running_fake_openrouter
from .server import RunningFake


@pytest.fixture(scope="session")
def fake_bedrock() -> Iterator[RunningFake]:
    """A fake Bedrock Runtime at http://127.0.0.1:PORT."""
    with running_fake_bedrock() as fake:
        yield fake


@pytest.fixture(scope="session")
def fake_openrouter() -> Iterator[RunningFake]:
    """A fake OpenRouter at http://127.0.0.1:PORT/api/v1."""
    with running_fake_openrouter() as fake:
        yield fake
