"""The Python rewrite rules, in the order the rewriter runs them on one parse.

A client rule (``KIND = "client"``) rebuilds the creation of a client that
moves; a call rule (``KIND = "call"``) names the Bedrock Runtime method it
handles (``METHOD``) and proves, or not, an idiomatic rewrite of one call
(``idiomatic_replacements``); a call it cannot prove is answered in Bedrock's
shape by the generated ``bedrock_<method>`` (`compat_calls`). Which clients can
move follows from the call rules: a client moves when every use of it is a
method some call rule handles.
"""

from __future__ import annotations

from . import b2o101_client, b2o102_converse, b2o103_converse_stream

RULES = (
    b2o101_client,  # first: which creations change, and how, decides what the calls become
    b2o102_converse,  # then each call on a client that moved
    b2o103_converse_stream,
)

# One client rule today: every boto3 creation of the runtime client is rebuilt the same way.
(CLIENT_RULE,) = (rule for rule in RULES if rule.KIND == "client")
CALL_RULES = {rule.METHOD: rule for rule in RULES if rule.KIND == "call"}
