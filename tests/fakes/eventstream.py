"""Encoder for AWS event-stream framing (application/vnd.amazon.eventstream).

Bedrock's streaming operations answer with a sequence of binary messages:
prelude (total length, headers length, CRC32 of those 8 bytes), headers,
payload, CRC32 of everything before. botocore verifies both checksums, so the
fake must get them right.
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

CONTENT_TYPE = "application/vnd.amazon.eventstream"
_STRING = 7  # header value type: UTF-8 string with a 2-byte length


def encode_message(headers: dict[str, str], payload: bytes) -> bytes:
    """One framed message with string-valued headers."""
    encoded_headers = b"".join(_encode_header(name, value) for name, value in headers.items())
    total_length = 12 + len(encoded_headers) + len(payload) + 4
    prelude = struct.pack(">II", total_length, len(encoded_headers))
    message = prelude + struct.pack(">I", zlib.crc32(prelude)) + encoded_headers + payload
    return message + struct.pack(">I", zlib.crc32(message))


def encode_event(event_type: str, payload: Any) -> bytes:
    """An `event` message whose payload is JSON, as the Bedrock streams send."""
    headers = {":event-type": event_type, ":content-type": "application/json", ":message-type": "event"}
    return encode_message(headers, json.dumps(payload).encode())


def _encode_header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode(), value.encode()
    return struct.pack(">B", len(raw_name)) + raw_name + struct.pack(">BH", _STRING, len(raw_value)) + raw_value
