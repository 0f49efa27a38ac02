"""Scanning infrastructure code for Bedrock IAM grants, tasks and endpoints.

Expected positions are read off the fixture files by hand. Spans are 1-based;
``end_line``/``end_column`` is the position just past the statement's last character.
"""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper

from bedrock2openrouter.findings import Finding, ParseFailure
from bedrock2openrouter.iac import analyze, analyze_cdk_python
from bedrock2openrouter.workspace import SourceFile

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "scan" / "infrastructure"


def fixture(relpath: str) -> SourceFile:
    return SourceFile(FIXTURES, relpath, (FIXTURES / relpath).read_bytes())


def inline(name: str, text: str) -> SourceFile:
    return SourceFile(Path("/nonexistent"), name, text.encode("utf-8"))


def cdk(source: SourceFile) -> list[Finding]:
    return analyze_cdk_python(source, MetadataWrapper(cst.parse_module(source.text)))


def where(findings: list[Finding]) -> list[tuple[int, int, str]]:
    return [(f.line, f.column, f.rule) for f in findings]


def spans(findings: list[Finding]) -> list[tuple[int, int, int | None, int | None]]:
    return [(f.line, f.column, f.end_line, f.end_column) for f in findings]


def span_text(source: SourceFile, finding: Finding) -> str:
    """The text a finding covers, so the span convention is checked directly."""
    lines = source.text.splitlines(keepends=True)

    def offset(line: int, column: int) -> int:
        return sum(len(text) for text in lines[: line - 1]) + column - 1

    assert finding.end_line is not None and finding.end_column is not None
    return source.text[offset(finding.line, finding.column) : offset(finding.end_line, finding.end_column)]


# -- fixtures ---------------------------------------------------------------------------


def test_sam_template() -> None:
    source = fixture("sam/template.yaml")
    findings = analyze(source)
    assert where(findings) == [(23, 15, "B2O601"), (30, 15, "B2O602"), (33, 15, "B2O603"), (41, 11, "B2O605")]
    # the comment above the statement and its "- " are outside the span; the !Sub ARNs inside
    assert spans(findings)[:3] == [(23, 15, 29, 94), (30, 15, 32, 28), (33, 15, 37, 28)]
    assert span_text(source, findings[0]).startswith("Effect: Allow\n")
    assert span_text(source, findings[0]).endswith('inference-profile/*"')
    assert span_text(source, findings[3]) == "AmazonBedrockFullAccess"
    assert all(f.path == "sam/template.yaml" for f in findings)


def test_cloudformation_json_role_and_endpoint() -> None:
    source = fixture("cloudformation/stack.json")
    findings = analyze(source)
    # "Bedrock:invokeModel" (scalar Action, odd case) is an invocation; the Deny statement is not a grant
    assert where(findings) == [(23, 17, "B2O601"), (28, 17, "B2O604"), (49, 24, "B2O307")]
    assert spans(findings)[0] == (23, 17, 27, 18)
    assert span_text(source, findings[0])[0] + span_text(source, findings[0])[-1] == "{}"
    assert span_text(source, findings[2]).endswith('".bedrock-runtime"]]}')


def test_cloudformation_state_machines() -> None:
    source = fixture("cloudformation/state-machine.yaml")
    findings = analyze(source)
    assert where(findings) == [(15, 28, "B2O305"), (33, 23, "B2O305"), (39, 15, "B2O601"), (55, 17, "B2O601")]
    assert span_text(source, findings[0]) == "arn:${AWS::Partition}:states:::bedrock:invokeModel"
    assert spans(findings)[1] == (33, 23, 33, 59)
    assert span_text(source, findings[3]) == '{Effect: Allow, Action: "bedrock:InvokeModel", Resource: "*"}'


def test_terraform() -> None:
    source = fixture("terraform/main.tf")
    findings = analyze(source)
    assert where(findings) == [
        (20, 7, "B2O602"),  # jsonencode object with logs:* (a "}" in a comment on the way)
        (30, 3, "B2O601"),  # statement { actions = ["bedrock:InvokeModel*"] }; the s3 statement gives nothing
        (48, 9, "B2O601"),  # heredoc JSON
        (60, 16, "B2O605"),
        (65, 23, "B2O307"),
    ]
    assert spans(findings)[:3] == [(20, 7, 24, 8), (30, 3, 34, 4), (48, 9, 52, 10)]
    assert span_text(source, findings[1]).startswith("statement {")
    assert span_text(source, findings[1]).endswith("}")
    assert span_text(source, findings[3]) == '"arn:aws:iam::aws:policy/AmazonBedrockFullAccess"'


def test_terraform_syntax_error() -> None:
    with pytest.raises(ParseFailure) as raised:
        analyze(fixture("terraform/broken.tf"))
    assert (raised.value.line, raised.value.column) == (5, 3)


def test_serverless() -> None:
    source = fixture("serverless/serverless.yml")
    findings = analyze(source)
    # the DynamoDB statement gives nothing; resources.Resources is read as CloudFormation
    assert where(findings) == [(13, 11, "B2O601"), (27, 11, "B2O605"), (51, 15, "B2O604")]
    assert spans(findings)[0] == (13, 11, 19, 81)


def test_serverless_legacy() -> None:
    findings = analyze(fixture("serverless-legacy/serverless.yml"))
    assert where(findings) == [(7, 7, "B2O601"), (15, 7, "B2O603")]  # bedrock:* is an invocation grant
    assert spans(findings) == [(7, 7, 10, 20), (15, 7, 18, 20)]


def test_raw_policy_json() -> None:
    findings = analyze(fixture("policies/bedrock-policy.json"))
    assert where(findings) == [(4, 9, "B2O601"), (16, 9, "B2O603")]  # the NotAction statement is ignored
    assert spans(findings) == [(4, 9, 15, 10), (16, 9, 21, 10)]


def test_cdk_python() -> None:
    source = fixture("cdk_python/stack.py")
    findings = cdk(source)
    assert where(findings) == [
        (16, 55, "B2O307"),
        (20, 31, "B2O601"),
        (24, 31, "B2O602"),  # `from aws_cdk.aws_iam import PolicyStatement`
        (25, 41, "B2O604"),
        (31, 36, "B2O605"),
        (35, 21, "B2O305"),
    ]
    assert spans(findings)[1] == (20, 31, 23, 10)
    assert span_text(source, findings[1]).startswith("iam.PolicyStatement(")
    assert span_text(source, findings[1]).endswith("\n        )")
    assert span_text(source, findings[2]).endswith('resources=["*"])')


def test_plain_yaml_config_is_not_infrastructure() -> None:
    assert analyze(fixture("config/settings.yaml")) == []


# -- action spellings --------------------------------------------------------------------

POLICY = '{"Statement": [{"Effect": "Allow", "Action": %s, "Resource": "*"}]}'


@pytest.mark.parametrize(
    ("action", "rule"),
    [
        ('"Bedrock:invokeModel"', "B2O601"),
        ('"BEDROCK:CONVERSESTREAM"', "B2O601"),
        ('"bedrock:*"', "B2O601"),
        ('["bedrock:Invoke*"]', "B2O601"),
        ('["bedrock:InvokeModel", "bedrock:ListFoundationModels"]', "B2O602"),
        ('"bedrock:GetKnowledgeBase"', "B2O604"),
    ],
)
def test_action_spellings(action: str, rule: str) -> None:
    findings = analyze(inline("policy.json", POLICY % action))
    assert where(findings) == [(1, 16, rule)]


@pytest.mark.parametrize("action", ['"s3:*"', '["sqs:SendMessage"]', '"*"'])
def test_unrelated_statements_give_nothing(action: str) -> None:
    assert analyze(inline("policy.json", POLICY % action)) == []


def test_lower_case_statement_keys() -> None:
    text = "Statement:\n  - effect: Allow\n    action: bedrock:InvokeModel\n    resource: '*'\n"
    assert where(analyze(inline("policy.yaml", text))) == [(2, 5, "B2O601")]


def test_marketplace_alone_is_not_reported() -> None:
    text = POLICY % '["aws-marketplace:ViewSubscriptions", "aws-marketplace:Subscribe"]'
    assert analyze(inline("policy.json", text)) == []


def test_marketplace_kept_next_to_a_managed_bedrock_policy() -> None:
    text = """\
service: s
provider:
  name: aws
  iam:
    role:
      statements:
        - {Effect: Allow, Action: aws-marketplace:Subscribe, Resource: "*"}
      managedPolicies: [arn:aws:iam::aws:policy/AmazonBedrockFullAccess]
"""
    assert where(analyze(inline("serverless.yml", text))) == [(7, 11, "B2O603"), (8, 25, "B2O605")]


# -- format variants -----------------------------------------------------------------------


def test_tab_indented_crlf_json() -> None:
    text = '{\r\n\t"Statement": [\r\n\t\t{"Effect": "Allow", "Action": "bedrock:InvokeModel", "Resource": "*"}\r\n\t]\r\n}\r\n'
    findings = analyze(inline("policy.json", text))
    assert spans(findings) == [(3, 3, 3, 72)]


def test_cloudformation_conditions_managed_arns_and_sub_endpoint() -> None:
    text = """\
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      ManagedPolicyArns:
        - !Sub arn:${AWS::Partition}:iam::aws:policy/AmazonBedrockLimitedAccess
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
              - !If
                - UseBedrock
                - Effect: Allow
                  Action: bedrock:InvokeModel
                  Resource: "*"
                - !Ref AWS::NoValue
  Endpoint:
    Type: AWS::EC2::VPCEndpoint
    Properties:
      ServiceName: !Sub 'com.amazonaws.${AWS::Region}.bedrock-runtime'
"""
    assert where(analyze(inline("stack.yaml", text))) == [(6, 11, "B2O605"), (13, 19, "B2O601"), (20, 20, "B2O307")]


def test_yaml_alias_reported_once() -> None:
    text = """\
Resources:
  A:
    Type: AWS::IAM::Policy
    Properties:
      PolicyDocument:
        Statement:
          - &invoke {Effect: Allow, Action: bedrock:InvokeModel, Resource: "*"}
          - *invoke
"""
    assert where(analyze(inline("template.yaml", text))) == [(7, 13, "B2O601")]


def test_asl_definition_file() -> None:
    text = '{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::bedrock:invokeModel", "End": true}}}'
    assert where(analyze(inline("statemachine/flow.asl.json", text))) == [(1, 64, "B2O305")]


def test_terraform_state_machine_and_dynamic_statement() -> None:
    text = """\
resource "aws_sfn_state_machine" "flow" {
  definition = jsonencode({
    StartAt = "A"
    States = { A = { Type = "Task", Resource = "arn:aws:states:::bedrock:invokeModel", End = true } }
  })
}

data "aws_iam_policy_document" "d" {
  dynamic "statement" {
    for_each = var.enabled ? [1] : []
    content {
      actions   = ["bedrock:Converse"]
      resources = ["*"]
    }
  }
}

locals {
  inline = jsonencode({ Statement = [{ Effect = "Deny", Action = "bedrock:*", Resource = "*" }] })
  other  = <<EOT
not json ${var.x}
EOT
}
"""
    assert where(analyze(inline("main.tf", text))) == [(4, 49, "B2O305"), (11, 5, "B2O601")]


def test_terraform_json() -> None:
    text = """{
  "data": {"aws_iam_policy_document": {"d": {"statement": [
    {"actions": ["bedrock:InvokeModel"], "resources": ["*"]}
  ]}}},
  "resource": {"aws_iam_role": {"r": {"managed_policy_arns": ["arn:aws:iam::aws:policy/AmazonBedrockFullAccess"]}}}
}
"""
    assert where(analyze(inline("main.tf.json", text))) == [(3, 5, "B2O601"), (5, 63, "B2O605")]


def test_cdk_python_other_import_styles() -> None:
    text = """\
import aws_cdk as cdk
from aws_cdk import aws_iam

deny = aws_iam.PolicyStatement(effect=aws_iam.Effect.DENY, actions=["bedrock:InvokeModel"])
doc = cdk.aws_iam.PolicyStatement.from_json({"Effect": "Allow", "Action": "bedrock:InvokeModel", "Resource": "*"})
shadow = PolicyStatement(actions=["bedrock:InvokeModel"])  # not aws_cdk's
endpoint = cdk.aws_ec2.InterfaceVpcEndpointAwsService("bedrock-runtime")
agents = cdk.aws_ec2.InterfaceVpcEndpointAwsService("bedrock-agent-runtime")
managed = aws_iam.ManagedPolicy.from_managed_policy_arn(None, "M", "arn:aws:iam::aws:policy/AmazonBedrockReadOnly")
grant = aws_iam.Grant.add_to_principal(grantee=fn, actions=["bedrock:InvokeModel"], resource_arns=["*"])
"""
    findings = cdk(inline("app.py", text))
    assert where(findings) == [(5, 7, "B2O601"), (7, 12, "B2O307"), (9, 11, "B2O605"), (10, 9, "B2O601")]
    assert (findings[0].end_line, findings[0].end_column) == (5, len(text.splitlines()[4]) + 1)  # the call ends the line


# -- not infrastructure, or broken ---------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["README.md", "app.py", "package.json", "docker-compose.yml", "chart/templates/deploy.yaml", "vars.json.tpl"],
)
def test_other_files_give_nothing(name: str) -> None:
    text = {
        "package.json": '{"name": "x", "dependencies": {"@aws-sdk/client-bedrock-runtime": "^3"}}',
        "chart/templates/deploy.yaml": "model: {{ .Values.bedrock.model }}\n  - broken: [\n",
        "vars.json.tpl": '{"Statement": ${statements}}',
    }.get(name, "bedrock: true\n")
    assert analyze(inline(name, text)) == []


@pytest.mark.parametrize(
    ("name", "text", "position"),
    [
        ("serverless.yml", "service: x\nprovider:\n  name: aws\n   bad: [\n", (4, 7)),
        ("template.yaml", "Resources:\n  A: {Type: AWS::IAM::Role\n", (3, 1)),
        ("stack.json", '{"AWSTemplateFormatVersion": "2010-09-09",\n "Resources": {,}}', (2, 16)),
        ("main.tf", 'resource "aws_iam_policy" "p" {\n  policy = "unterminated\n}\n', None),
    ],
)
def test_infrastructure_that_does_not_parse(name: str, text: str, position: tuple[int, int] | None) -> None:
    with pytest.raises(ParseFailure) as raised:
        analyze(inline(name, text))
    if position is not None:
        assert (raised.value.line, raised.value.column) == position
