"""Detection in TypeScript/JavaScript: SDK calls, LangChain.js, CDK IAM and unsupported features.

Expected positions are counted by hand from the fixtures under fixtures/scan/typescript.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import tree_sitter_typescript

from bedrock2openrouter.findings import ParseFailure
from bedrock2openrouter.javascript import parser
from bedrock2openrouter.javascript.detect import analyze
from bedrock2openrouter.workspace import SourceFile

ROOT = Path(__file__).resolve().parent.parent / "fixtures" / "scan" / "typescript"


def scan(relpath: str) -> list:
    return analyze(SourceFile(ROOT, relpath, (ROOT / relpath).read_bytes()))


def scan_text(relpath: str, text: str | bytes, tmp_path: Path) -> list:
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    return analyze(SourceFile(tmp_path, relpath, data))


def positions(findings: list) -> list[tuple[int, int, str]]:
    return [(f.line, f.column, f.rule) for f in findings]


EXPECTED: dict[str, list[tuple[int, int, str]]] = {
    "lambda/chat/index.ts": [
        (8, 16, "B2O501"),  # const client = new BedrockRuntimeClient(...)
        (9, 52, "B2O501"),  # after a comment with accents, guillemets and a flag emoji
        (23, 5, "B2O502"),  # new ConverseCommand inside client.send(
        (33, 46, "B2O504"),  # fallbackClient.send(new InvokeModelCommand(  (Anthropic Messages body)
        (47, 19, "B2O504"),  # const command = new InvokeModelCommand(  (Titan body)
    ],
    "lambda/stream/handler.mjs": [
        (5, 17, "B2O501"),  # namespace import: new bedrock.BedrockRuntimeClient
        (10, 5, "B2O503"),  # aliased import: new StreamCommand
        (24, 19, "B2O505"),  # new bedrock.InvokeModelWithResponseStreamCommand
    ],
    "lambda/stream/legacy.cjs": [
        (8, 16, "B2O501"),  # require destructuring, shorthand
        (9, 20, "B2O501"),  # const sdk = require(...); new sdk.BedrockRuntime (aggregated client)
        (12, 38, "B2O505"),  # require destructuring with rename: InvokeStream
        (20, 26, "B2O502"),  # aggregated.converse({...})
    ],
    "src/agent.ts": [
        (10, 13, "B2O506"),  # ChatBedrockConverse
        (15, 20, "B2O301"),  # BedrockEmbeddings is an embedding model, not a chat model
        (16, 19, "B2O506"),  # BedrockChat from @langchain/community/chat_models/bedrock/web
        (23, 5, "B2O303"),  # new RetrieveCommand
        (29, 26, "B2O303"),  # knowledgeBases.retrieveAndGenerate on an aggregated BedrockAgentRuntime
    ],
    "src/local.ts": [],
    "app/page.tsx": [
        (3, 16, "B2O501"),
        (8, 5, "B2O502"),
    ],
    "cdk/lib/api-stack.ts": [
        (23, 7, "B2O601"),  # invoke-only statement under "// Bedrock permissions"
        (35, 7, "B2O603"),  # Marketplace-only, and the file grants Bedrock
        (42, 28, "B2O602"),  # logs:* + bedrock:Converse*
        (48, 28, "B2O604"),  # bedrock:Retrieve (Knowledge Base)
        (57, 30, "B2O605"),  # AmazonBedrockFullAccess; AWSLambdaBasicExecutionRole (line 17) is not reported
        (61, 16, "B2O307"),  # InterfaceVpcEndpointAwsService.BEDROCK_RUNTIME
        (73, 23, "B2O305"),  # tasks.BedrockInvokeModel
    ],  # line 54 (dynamodb + a non-literal action) is unrelated
    "cdk/lib/network-stack.ts": [
        (12, 16, "B2O307"),  # InterfaceVpcEndpointService(`com.amazonaws.${region}.bedrock-runtime`)
        (20, 5, "B2O601"),  # iam.Grant.addToPrincipal with actions from a same-file const, spread
        (28, 11, "B2O604"),  # CfnPolicy JSON statement with bedrock:ApplyGuardrail; the s3 one is unrelated
    ],
}


@pytest.mark.parametrize("relpath", sorted(EXPECTED))
def test_fixture_findings(relpath: str) -> None:
    findings = scan(relpath)
    assert positions(findings) == EXPECTED[relpath]
    assert all(f.path == relpath and "\n" not in f.message for f in findings)


def test_every_fixture_file_is_covered() -> None:
    files = {p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*") if p.is_file()}
    assert files == set(EXPECTED) | {"src/broken.ts"}


def test_messages_are_concrete() -> None:
    chat = scan("lambda/chat/index.ts")
    assert chat[0].message == "BedrockRuntimeClient created (region from process.env.REGION)"
    assert chat[1].message == "BedrockRuntimeClient created (region eu-west-3)"
    assert chat[2].message == "ConverseCommand sent to Bedrock Runtime"
    # Reported as manual work until TypeScript application code is rewritten.
    assert (chat[0].category, chat[0].severity, chat[0].fixable) == ("client", "error", False)
    legacy = scan("lambda/stream/legacy.cjs")
    assert legacy[3].message == "converse() called on the BedrockRuntime client aggregated"
    agent = scan("src/agent.ts")
    assert agent[1].category == "unsupported"
    assert "BedrockEmbeddings" in agent[1].message
    stack = scan("cdk/lib/api-stack.ts")
    assert stack[0].message == (
        "IAM statement grants Bedrock model invocation "
        "(bedrock:InvokeModel, bedrock:InvokeModelWithResponseStream): remove it"
    )
    assert "AmazonBedrockFullAccess" in stack[4].message  # wording shared with the other IaC formats


def test_statement_span_covers_its_resources() -> None:
    invoke_only, marketplace, mixed = scan("cdk/lib/api-stack.ts")[:3]
    # new iam.PolicyStatement({ ... }) from line 23 column 7 to just after "})" on line 30
    assert (invoke_only.end_line, invoke_only.end_column) == (30, 9)
    assert (marketplace.end_line, marketplace.end_column) == (39, 9)
    assert (mixed.end_line, mixed.end_column) == (45, 7)


def test_character_column_after_non_ascii_text() -> None:
    line = (ROOT / "lambda/chat/index.ts").read_text(encoding="utf-8").splitlines()[8]
    assert line.index("new ") + 1 == 52  # the hand count agrees with the file
    assert len(line[: line.index("new ")].encode("utf-8")) + 1 == 61  # the byte column would be wrong
    finding = scan("lambda/chat/index.ts")[1]
    assert (finding.line, finding.column) == (9, 52)


def test_bom_crlf_and_astral_characters(tmp_path: Path) -> None:
    text = (
        'import { ConverseCommand } from "@aws-sdk/client-bedrock-runtime";\r\n'
        "// 🤖🤖 ünïcødé\r\n"
        'const label = "🤖"; const cmd = new ConverseCommand({});\r\n'
    )
    findings = scan_text("bom.ts", b"\xef\xbb\xbf" + text.encode("utf-8"), tmp_path)
    assert positions(findings) == [(3, 32, "B2O502")]
    assert (findings[0].end_line, findings[0].end_column) == (3, 55)


def test_syntax_error_is_a_parse_failure() -> None:
    with pytest.raises(ParseFailure) as caught:
        scan("src/broken.ts")
    # "new BedrockRuntimeClient({ region }));": the second ")" is column 54 of line 4
    assert (caught.value.line, caught.value.column) == (4, 54)
    assert caught.value.message.startswith("TypeScript syntax error")
    assert "\n" not in caught.value.message


def test_javascript_syntax_error_names_the_language(tmp_path: Path) -> None:
    with pytest.raises(ParseFailure) as caught:
        scan_text("bad.mjs", "const a = {;\nexport default a;\n", tmp_path)
    assert caught.value.message.startswith("JavaScript syntax error")
    assert caught.value.line == 1


def test_tsx_needs_the_tsx_grammar(tmp_path: Path) -> None:
    source = (ROOT / "app/page.tsx").read_text(encoding="utf-8")
    with pytest.raises(ParseFailure):
        scan_text("page.ts", source, tmp_path)  # JSX is not TypeScript


def test_languages_are_loaded_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    source = SourceFile(tmp_path, "a.ts", b"const x: number = 1;\n")
    parser.parse(source)

    def reload_forbidden() -> object:
        raise AssertionError("the TypeScript grammar was loaded a second time")

    monkeypatch.setattr(tree_sitter_typescript, "language_typescript", reload_forbidden)
    parser.parse(source)
    parser.parse(SourceFile(tmp_path, "b.mts", b"export const y = 2;\n"))
    assert parser.language("typescript") is parser.language("typescript")


def test_unknown_suffix_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        parser.parse(SourceFile(tmp_path, "a.py", b"x = 1\n"))


def test_other_import_forms(tmp_path: Path) -> None:
    text = """\
import br = require("@aws-sdk/client-bedrock-runtime");
import runtime from "@aws-sdk/client-bedrock-runtime";
import { BedrockRuntimeClient as BRC } from "@aws-sdk/client-bedrock-runtime";
const { ApplyGuardrailCommand } = await import("@aws-sdk/client-bedrock-runtime");
const Invoke = require("@aws-sdk/client-bedrock-runtime").InvokeModelCommand;
new br.ConverseCommand({});
new runtime.ConverseStreamCommand({});
new BRC();
new ApplyGuardrailCommand({});
new Invoke({});
class Service {
  private client = new br.BedrockRuntime({});
  run() { return this.client.invokeModel({}); }
}
"""
    assert positions(scan_text("forms.ts", text, tmp_path)) == [
        (6, 1, "B2O502"),
        (7, 1, "B2O503"),
        (8, 1, "B2O501"),
        (9, 1, "B2O304"),
        (10, 1, "B2O504"),
        (12, 20, "B2O501"),
        (13, 18, "B2O504"),
    ]


def test_local_names_and_other_packages_are_not_findings(tmp_path: Path) -> None:
    text = """\
import { ConverseCommand } from "@aws-sdk/client-bedrock-agent-runtime";
import { BedrockRuntime } from "./bedrock";
class InvokeModelCommand {}
const rt = new BedrockRuntime();
rt.converse({});
new ConverseCommand({});
new InvokeModelCommand();
"""
    assert scan_text("names.ts", text, tmp_path) == []


def test_cdk_iam_forms(tmp_path: Path) -> None:
    text = """\
import { Effect, PolicyStatement, PolicyDocument, ManagedPolicy } from "@aws-cdk/aws-iam";
import * as iam from "@aws-cdk/aws-iam";
import * as cdk from "aws-cdk-lib";
const s1 = new PolicyStatement({ actions: ["bedrock:*"], resources: ["*"] });
const s2 = cdk.aws_iam.PolicyStatement.fromJson({ Effect: "Allow", Action: ["bedrock:Invoke*"], Resource: "*" });
const doc = PolicyDocument.fromJson({ Statement: [{ Action: "aws-marketplace:Subscribe", Resource: "*" }] });
const s3 = new PolicyStatement({ actions: computeActions() });
const s4 = new PolicyStatement();
const arn = ManagedPolicy.fromManagedPolicyArn(this, "Ro", "arn:aws:iam::aws:policy/AmazonBedrockReadOnly");
new PolicyStatement({ effect: iam.Effect.DENY, actions: ["bedrock:InvokeModel"] });
new PolicyStatement({ effect: Effect.DENY, actions: ["bedrock:InvokeModel"] });
const deny = { Statement: { Effect: "Deny", Action: "bedrock:*", Resource: "*" } };
const notAction = { Statement: [{ Effect: "Allow", NotAction: ["bedrock:InvokeModel"], Resource: "*" }] };
"""
    assert positions(scan_text("iam.ts", text, tmp_path)) == [
        (4, 12, "B2O601"),
        (5, 12, "B2O601"),
        (6, 51, "B2O603"),
        (9, 13, "B2O605"),
    ]  # Deny and NotAction statements (lines 10-13) are not grants to remove


def test_vpc_endpoint_forms(tmp_path: Path) -> None:
    text = """\
import { InterfaceVpcEndpointAwsService, InterfaceVpcEndpointService } from "@aws-cdk/aws-ec2";
const a = new InterfaceVpcEndpointAwsService("bedrock-runtime");
const b = new InterfaceVpcEndpointService("com.amazonaws.us-east-1.bedrock-runtime-fips", 443);
const c = new InterfaceVpcEndpointService("com.amazonaws.us-east-1.bedrock-agent-runtime", 443);
const d = InterfaceVpcEndpointAwsService.BEDROCK_AGENT_RUNTIME;
"""
    assert positions(scan_text("endpoints.ts", text, tmp_path)) == [(2, 11, "B2O307"), (3, 11, "B2O307")]


def test_marketplace_alone_is_not_a_bedrock_grant(tmp_path: Path) -> None:
    text = """\
import * as iam from "aws-cdk-lib/aws-iam";
new iam.PolicyStatement({ actions: ["aws-marketplace:ViewSubscriptions"], resources: ["*"] });
"""
    assert scan_text("marketplace.ts", text, tmp_path) == []
