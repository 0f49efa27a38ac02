"""The generated helper is assembled from what the migrated code imports, and keeps what an earlier run gave it."""

from __future__ import annotations

import textwrap

from bedrock2openrouter.config import Settings
from bedrock2openrouter.engine import plan_migration
from bedrock2openrouter.python.helper import CAPABILITIES, capabilities_for, defined_capabilities, helper_source

EVERY_CAPABILITY = frozenset(capability.name for capability in CAPABILITIES)

CONVERSE_CALL = """\
import boto3

bedrock = boto3.client("bedrock-runtime")


def ask(question):
    response = bedrock.converse(modelId="anthropic.claude-3-haiku-20240307-v1:0",
                                messages=[{"role": "user", "content": [{"text": question}]}])
    return response["output"]["message"]["content"][0]["text"]
"""


def test_a_name_brings_its_capability_and_what_it_builds_on():
    assert capabilities_for({"openrouter_client"}) == {"client"}
    assert capabilities_for({"bedrock_converse_stream"}) == {"client", "converse-shapes"}
    assert capabilities_for({"something_else"}) == frozenset()


def test_each_assembly_compiles_and_defines_exactly_its_capabilities():
    client_only = helper_source({"client"})
    compile(client_only, "_openrouter.py", "exec")
    assert "def bedrock_converse" not in client_only
    assert defined_capabilities(client_only) == {"client"}
    full = helper_source({"converse-shapes"})  # brings the client it builds on
    compile(full, "_openrouter.py", "exec")
    head = client_only[client_only.index("DEFAULT_BASE_URL"):client_only.index("def openrouter_client")]
    assert head in full  # the client capability's code, ahead of what builds on it
    assert full.index("def openrouter_client") < full.index("def bedrock_converse")
    assert defined_capabilities(full) == EVERY_CAPABILITY


def test_a_broken_helper_provides_nothing():
    assert defined_capabilities("def bedrock_converse(:\n") == frozenset()


def test_a_later_run_that_needs_less_keeps_what_the_helper_already_offers(tmp_path):
    (tmp_path / "_openrouter.py").write_text(helper_source(EVERY_CAPABILITY), encoding="utf-8")
    (tmp_path / "chat.py").write_text(CONVERSE_CALL, encoding="utf-8")
    plan = plan_migration(tmp_path, Settings(jobs=1))
    changed = {change.path: change.new.decode() for change in plan.changes}
    assert "from _openrouter import openrouter_client" in changed["chat.py"]
    assert "_openrouter.py" not in changed  # the fuller helper stays as it is


def test_a_helper_is_completed_when_a_later_run_needs_more(tmp_path):
    (tmp_path / "_openrouter.py").write_text(helper_source({"client"}), encoding="utf-8")
    (tmp_path / "chat.py").write_text(CONVERSE_CALL.replace(
        'return response["output"]["message"]["content"][0]["text"]', "return response"), encoding="utf-8")
    plan = plan_migration(tmp_path, Settings(jobs=1))
    changed = {change.path: change.new.decode() for change in plan.changes}
    assert "bedrock_converse(" in changed["chat.py"], textwrap.shorten(changed["chat.py"], 300)
    assert defined_capabilities(changed["_openrouter.py"]) == EVERY_CAPABILITY


def test_the_generated_helper_is_recognised_and_never_analysed(tmp_path):
    from bedrock2openrouter.engine import scan
    from bedrock2openrouter.filekinds import GENERATED_HELPER_OPENING, FileKind, kind_of

    helper = helper_source(EVERY_CAPABILITY)
    assert helper.startswith(GENERATED_HELPER_OPENING)
    assert 'boto3.client("bedrock-runtime")' in helper  # its fallback for what OpenRouter cannot answer
    assert kind_of("_openrouter.py", helper) is FileKind.GENERATED
    (tmp_path / "_openrouter.py").write_text(helper, encoding="utf-8")
    assert scan(tmp_path).findings == []


def test_a_module_imported_through_a_namespace_package_finds_a_helper_from_either_root(tmp_path):
    (tmp_path / "services").mkdir()
    (tmp_path / "services" / "chat.py").write_text(CONVERSE_CALL, encoding="utf-8")
    (tmp_path / "main.py").write_text("from services.chat import ask\n\nprint(ask('hi'))\n", encoding="utf-8")
    plan = plan_migration(tmp_path, Settings(jobs=1))
    changed = {change.path for change in plan.changes}
    # `python main.py` resolves `from _openrouter import ...` at the root, the Lambda folder beside the module
    assert {"_openrouter.py", "services/_openrouter.py", "services/chat.py"} <= changed


def test_the_client_keeps_boto3_s_defaults_unless_the_code_set_its_own(tmp_path, monkeypatch):
    import importlib.util

    (tmp_path / "_openrouter.py").write_text(helper_source({"client"}), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("_openrouter_under_test", tmp_path / "_openrouter.py")
    helper = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(helper)
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-test")
    default = helper.openrouter_client()
    assert (default.timeout, default.max_retries) == (60.0, 4)  # boto3: 60 s read timeout, 5 attempts
    configured = helper.openrouter_client(max_retries=2, timeout=90)
    assert (configured.timeout, configured.max_retries) == (90, 2)
