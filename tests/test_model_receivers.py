"""Model IDs move only where what receives them moved: followed within a module, decided for the project."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bedrock2openrouter.config import Settings
from bedrock2openrouter.engine import plan_migration
from bedrock2openrouter.python.detect import parse_analysis
from bedrock2openrouter.python.model_receivers import (
    BEDROCK,
    OPENROUTER,
    UNKNOWN,
    model_id_receivers,
)

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
HAIKU_OPENROUTER = "anthropic/claude-3-haiku"


def receivers(code: str, shared: frozenset[str] | None = frozenset()) -> list[frozenset]:
    analysis = parse_analysis(textwrap.dedent(code), "app.py")
    found = model_id_receivers(analysis, shared)
    return [found[finding] for finding in sorted(found, key=lambda f: (f.line, f.column))]


@pytest.mark.parametrize(("code", "expected"), [
    # the model argument of a call that stays on Bedrock
    ('import boto3\nb = boto3.client("bedrock-runtime")\nb.converse(modelId="HAIKU", messages=[])\n', BEDROCK),
    # a constant read by a chat completion
    ('M = "HAIKU"\nclient.chat.completions.create(model=M, messages=[])\n', OPENROUTER),
    # a list iterated into a migrated helper call, printed on the way
    ('MODELS = ["HAIKU"]\nfor m in MODELS:\n    print(m)\n    bedrock_converse(c, modelId=m, messages=[])\n',
     OPENROUTER),
    # a dispatch table read by key into a Bedrock call
    (('import boto3\nb = boto3.client("bedrock-runtime")\nT = {"fast": "HAIKU"}\n'
     'def ask(k):\n    return b.converse(modelId=T[k], messages=[])\n'), BEDROCK),
    # an environment default, through a local function's parameter
    (('import os\nM = os.environ.get("MODEL", "HAIKU")\ndef ask(c, model=M):\n'
     '    return c.chat.completions.create(model=model, messages=[])\n'), OPENROUTER),
    # a self attribute set in __init__ from a parameter default
    (('class A:\n    def __init__(self, c, model_id="HAIKU"):\n        self.c, self.m = c, model_id\n'
     '        self.model = model_id\n    def ask(self):\n'
     '        return self.c.chat.completions.create(model=self.model, messages=[])\n'), {UNKNOWN, OPENROUTER}),
    # Bedrock Agents and Knowledge Bases keep their model on AWS
    ('agent = InlineAgent(foundation_model="HAIKU")\n', BEDROCK),
    ('kb.retrieve_and_generate(input={}, retrieveAndGenerateConfiguration={"modelArn": "HAIKU"})\n', BEDROCK),
    # a LangChain Bedrock class
    ('from langchain_aws import ChatBedrock\nllm = ChatBedrock(model_id="HAIKU")\n', BEDROCK),
    # handed to an unknown function
    ('configure("HAIKU")\n', UNKNOWN),
], ids=["bedrock-call", "constant", "iterated-list", "dispatch-table", "env-default-param", "self-attr-tuple",
        "inline-agent", "kb-config-dict", "chat-bedrock", "unknown-function"])
def test_receivers_are_followed_within_a_module(code: str, expected: str | set[str]):
    assert receivers(code.replace("HAIKU", HAIKU)) == [frozenset({expected} if isinstance(expected, str) else expected)]


def test_a_module_constant_other_modules_import_is_not_followed():
    code = f'M = "{HAIKU}"\nclient.chat.completions.create(model=M, messages=[])\n'
    assert receivers(code, shared=frozenset({"M"})) == [frozenset({UNKNOWN})]
    assert receivers(code, shared=None) == [frozenset({UNKNOWN})]  # ``import app``: any name may be read
    assert receivers(code, shared=frozenset({"ask"})) == [frozenset({OPENROUTER})]


def _plan(tmp_path: Path, files: dict[str, str]) -> dict[str, str]:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(text), encoding="utf-8")
    plan = plan_migration(tmp_path, Settings(jobs=1))
    changed = {change.path: change.new.decode() for change in plan.changes}
    return {name: changed.get(name, (tmp_path / name).read_text(encoding="utf-8")) for name in files}, plan


INVOKE_LAMBDA = '''\
import json
import boto3

runtime = boto3.client("bedrock-runtime")


def handler(event, context):
    body = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 50,
                       "messages": [{"role": "user", "content": event["q"]}]})
    answer = runtime.invoke_model(modelId=event["model"], body=body)
    return json.loads(answer["body"].read())
'''
PICKER = f'<select name="model">\n  <option value="{HAIKU}">Claude 3 Haiku</option>\n</select>\n'
CONVERSE_SCRIPT = f'''\
import boto3

bedrock = boto3.client("bedrock-runtime")
MODEL = "{HAIKU}"


def ask(question):
    response = bedrock.converse(modelId=MODEL, messages=[{{"role": "user", "content": [{{"text": question}}]}}])
    return response["output"]["message"]["content"][0]["text"]
'''


def test_a_ui_list_feeding_a_lambda_that_stays_keeps_its_ids(tmp_path: Path):
    after, plan = _plan(tmp_path, {"web/picker.html": PICKER, "lambda/handler.py": INVOKE_LAMBDA,
                                   "scripts/ask.py": CONVERSE_SCRIPT})
    assert after["web/picker.html"] == PICKER  # the Lambda may receive it
    assert f'MODEL = "{HAIKU_OPENROUTER}"' in after["scripts/ask.py"]  # only a migrated call receives this one
    (kept,) = [f for f in plan.follow_ups if f.path == "web/picker.html"]
    assert "lambda/handler.py" in kept.message and "kept" in kept.message


def test_once_nothing_calls_bedrock_the_ui_list_moves(tmp_path: Path):
    after, _ = _plan(tmp_path, {"web/picker.html": PICKER, "scripts/ask.py": CONVERSE_SCRIPT})
    assert after["web/picker.html"] == PICKER.replace(HAIKU, HAIKU_OPENROUTER)


def test_in_a_file_with_a_client_that_stays_the_migrated_call_still_gets_its_id(tmp_path: Path):
    code = CONVERSE_SCRIPT + f'''

guarded = boto3.client("bedrock-runtime")


def moderated(question):
    response = guarded.converse(modelId="{HAIKU}", guardrailConfig={{"guardrailIdentifier": "g", "guardrailVersion": "1"}},
                                messages=[{{"role": "user", "content": [{{"text": question}}]}}])
    return response["stopReason"]
'''
    after, _ = _plan(tmp_path, {"app.py": code})
    assert f'MODEL = "{HAIKU_OPENROUTER}"' in after["app.py"]
    assert f'guarded.converse(modelId="{HAIKU}"' in after["app.py"]


def test_an_agent_s_model_never_moves_and_keeps_the_grants(tmp_path: Path):
    agent = f'from bedrock_agents import InlineAgent\n\nagent = InlineAgent(foundation_model="{HAIKU}")\n'
    template = '''\
        AWSTemplateFormatVersion: "2010-09-09"
        Resources:
          AgentPolicy:
            Type: AWS::IAM::ManagedPolicy
            Properties:
              PolicyDocument:
                Version: "2012-10-17"
                Statement:
                  - Effect: Allow
                    Action: bedrock:InvokeModel
                    Resource: "*"
        '''
    after, _ = _plan(tmp_path, {"agent.py": agent, "template.yaml": template, "scripts/ask.py": CONVERSE_SCRIPT})
    assert after["agent.py"] == agent
    assert "bedrock:InvokeModel" in after["template.yaml"]
    assert HAIKU_OPENROUTER in after["scripts/ask.py"]


def test_a_client_handed_to_a_bedrock_library_keeps_calling_bedrock(tmp_path: Path):
    app = CONVERSE_SCRIPT.replace(
        'bedrock = boto3.client("bedrock-runtime")\n',
        'bedrock = boto3.client("bedrock-runtime")\n'
        'embeddings = BedrockEmbeddings(client=bedrock, model_id="amazon.titan-embed-text-v2:0")\n',
    ).replace("import boto3\n", "import boto3\nfrom langchain_aws import BedrockEmbeddings\n")
    after, plan = _plan(tmp_path, {"app.py": app, "web/picker.html": PICKER})
    assert "BedrockRuntimeCompat(" in after["app.py"]  # the stand-in hands invoke_model to the real client
    assert plan.still_calling_bedrock == ["app.py"]  # so its grants stay, and IDs it may receive
    assert after["web/picker.html"] == PICKER


def test_a_client_sharing_its_model_constant_with_a_call_that_stays_stays_too(tmp_path: Path):
    code = f'''\
import json

import boto3

MODEL_ID = "{HAIKU}"
chat_client = boto3.client("bedrock-runtime")
legacy_client = boto3.client("bedrock-runtime")


def chat(question):
    response = chat_client.converse(modelId=MODEL_ID, messages=[{{"role": "user", "content": [{{"text": question}}]}}])
    return response["output"]["message"]["content"][0]["text"]


def legacy(question):
    body = json.dumps({{"anthropic_version": "bedrock-2023-05-31", "max_tokens": 10,
                       "messages": [{{"role": "user", "content": question}}]}})
    return json.loads(legacy_client.invoke_model(modelId=MODEL_ID, body=body)["body"].read())
'''
    after, plan = _plan(tmp_path, {"app.py": code})
    assert after["app.py"] == code  # one ID cannot be both: both clients stay, with it
    assert "app.py" in plan.still_calling_bedrock
