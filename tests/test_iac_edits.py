"""Removing Bedrock IAM grants from infrastructure files by span edits.

Fixture pairs: every ``fixtures/iac/<case>/before/`` file, with the proposed
edits applied, must equal its ``after/`` twin byte for byte (the after files
were reviewed by hand); the after files must still be valid (cfn-lint, HCL,
JSON) and no longer grant Bedrock invocation. The inline cases cover what must
*not* be removed and the layouts the span arithmetic handles.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import hcl2
import pytest

from bedrock2openrouter.findings import ParseFailure
from bedrock2openrouter.iac import analyze, removal_edits, removal_edits_for, reparse
from bedrock2openrouter.edits import EditOutcome, apply_span_edits
from bedrock2openrouter.workspace import SourceFile

IAC = Path(__file__).resolve().parent.parent / "fixtures" / "iac"
CASES = ("sam", "cloudformation-json", "serverless", "terraform", "iam-json")
CFN_LINT = Path(sys.executable).with_name("cfn-lint")
REMOVED_RULES = {"B2O601", "B2O602", "B2O603"}
KEPT_RULES = {"B2O604", "B2O605", "B2O305", "B2O307"}


def _pairs() -> list[tuple[Path, Path]]:
    pairs = []
    for case in CASES:
        for before in sorted((IAC / case / "before").rglob("*")):
            if before.is_file():
                pairs.append((before, IAC / case / "after" / before.relative_to(IAC / case / "before")))
    return pairs


PAIRS = _pairs()
IDS = [str(before.relative_to(IAC)) for before, _ in PAIRS]


def load(path: Path) -> SourceFile:
    return SourceFile(path.parent, path.name, path.read_bytes())


def inline(name: str, text: str, root: Path = Path("/nonexistent")) -> SourceFile:
    return SourceFile(root, name, text.encode("utf-8"))


def migrate(source: SourceFile) -> EditOutcome:
    return apply_span_edits(source.text, removal_edits(source), lambda text: reparse(source, text))


def migrated_text(source: SourceFile) -> str:
    outcome = migrate(source)
    assert outcome.dropped == []
    return outcome.text


def rules(source: SourceFile) -> Counter[str]:
    return Counter(finding.rule for finding in analyze(source))


# -- fixture pairs -------------------------------------------------------------------------


def test_every_case_has_pairs() -> None:
    assert {before.relative_to(IAC).parts[0] for before, _ in PAIRS} == set(CASES)
    assert all(after.is_file() for _, after in PAIRS)


@pytest.mark.parametrize(("before", "after"), PAIRS, ids=IDS)
def test_fixture_pair(before: Path, after: Path) -> None:
    source = load(before)
    outcome = migrate(source)
    assert outcome.dropped == []
    assert outcome.applied, "every before file has something to remove"
    assert source.decoded.encode(outcome.text) == after.read_bytes()


@pytest.mark.parametrize(("before", "after"), PAIRS, ids=IDS)
def test_rescan_after(before: Path, after: Path) -> None:
    found_before, found_after = rules(load(before)), rules(load(after))
    assert found_before.keys() & REMOVED_RULES
    assert not found_after.keys() & REMOVED_RULES
    # what is reported but never removed is all still there
    assert {rule: found_after[rule] for rule in KEPT_RULES} == {rule: found_before[rule] for rule in KEPT_RULES}


@pytest.mark.parametrize(("before", "after"), PAIRS, ids=IDS)
def test_after_is_idempotent(before: Path, after: Path) -> None:
    assert removal_edits(load(after)) == []


def test_descriptions_and_principals() -> None:
    edits = removal_edits(load(IAC / "sam" / "before" / "template.yaml"))
    assert [(edit.finding.rule, edit.description, edit.principal) for edit in edits] == [
        ("B2O601", "removed IAM statement granting bedrock:InvokeModel, bedrock:InvokeModelWithResponseStream",
         "ChatFunction"),
        ("B2O602", "removed bedrock:Converse from a statement that keeps logs:CreateLogStream, logs:PutLogEvents",
         "ChatFunction"),
        ("B2O603", ("removed AWS Marketplace statement (aws-marketplace:ViewSubscriptions, aws-marketplace:Subscribe) "
                    "that existed for Bedrock model access"), "ChatFunction"),
        ("B2O601", ("removed the Policies of ModelsFunction: its statements only granted bedrock:InvokeModel, "
                    "bedrock:Converse"), "ModelsFunction"),
    ]
    terraform = removal_edits(load(IAC / "terraform" / "before" / "main.tf"))
    assert [edit.principal for edit in terraform] == [
        "aws_iam_role.chat", "aws_iam_role.chat", "data.aws_iam_policy_document.chat", "aws_iam_role.chat"
    ]
    assert terraform[-1].description.startswith("removed resource aws_iam_role_policy.legacy_bedrock:")


# -- validity of what is left ----------------------------------------------------------------


def _cfn_lint(path: Path) -> set[str]:
    """The rule IDs cfn-lint reports; fails the test on any error (E...) or a crash."""
    command = [str(CFN_LINT), "--format", "json", str(path)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode & ~(4 | 8) == 0, run.stdout + run.stderr  # 4: warnings, 8: informational
    return {match["Rule"]["Id"] for match in json.loads(run.stdout or "[]")}


@pytest.mark.skipif(not CFN_LINT.exists(), reason="cfn-lint is not installed next to the interpreter")
@pytest.mark.parametrize("case", ["sam/{}/template.yaml", "cloudformation-json/{}/stack.json"])
def test_cfn_lint_no_errors_before_and_after(case: str) -> None:
    before, after = _cfn_lint(IAC / case.format("before")), _cfn_lint(IAC / case.format("after"))
    assert not any(rule.startswith("E") for rule in before | after)
    assert after <= before  # at least as valid: W3037 (bedrock:Converse is no IAM action) goes with the statement


def test_terraform_after_parses() -> None:
    for before, after in PAIRS:
        if after.suffix == ".tf":
            hcl2.loads(after.read_text(encoding="utf-8"))


def test_raw_policy_after_keeps_statements() -> None:
    document = json.loads((IAC / "iam-json" / "after" / "bedrock-policy.json").read_text(encoding="utf-8"))
    assert [statement["Sid"] for statement in document["Statement"]] == ["ReadPrompts", "LogsAndModels", "Guardrails"]


def test_serverless_after_loads() -> None:
    import yaml

    for path in (IAC / "serverless" / "after").rglob("serverless.yml"):
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert config["provider"]["name"] == "aws"


# -- dropped edits, encodings --------------------------------------------------------------------


def test_edit_that_breaks_parsing_is_dropped() -> None:
    source = load(IAC / "iam-json" / "before" / "bedrock-policy.json")
    edits = removal_edits(source)

    def reparse_refusing_marketplace_removal(text: str) -> None:
        reparse(source, text)
        if "MarketplaceModelAccess" not in text:
            raise ParseFailure("pretend the parser rejects this", 1, 1)

    outcome = apply_span_edits(source.text, edits, reparse_refusing_marketplace_removal)
    assert [edit.finding.rule for edit, _ in outcome.dropped] == ["B2O603"]
    assert outcome.dropped[0][1] == "pretend the parser rejects this"
    assert [edit.finding.rule for edit in outcome.applied] == ["B2O601", "B2O602"]
    assert "MarketplaceModelAccess" in outcome.text and "InvokeClaude" not in outcome.text


def test_reparse_rejects_broken_text() -> None:
    with pytest.raises(ParseFailure):
        reparse(inline("main.tf", ""), 'resource "a" "b" {\n')
    with pytest.raises(ParseFailure):
        reparse(inline("policy.json", ""), '{"Statement": [}')
    with pytest.raises(ParseFailure):
        reparse(inline("template.yaml", ""), "Resources:\n  A: {Type: x\n")
    reparse(inline("template.yaml", ""), "Resources: {}\n")


def test_crlf_and_bom_are_kept() -> None:
    before = (
        "\ufeffAWSTemplateFormatVersion: '2010-09-09'\r\n"
        "Resources:\r\n"
        "  Role:\r\n"
        "    Type: AWS::IAM::Role\r\n"
        "    Properties:\r\n"
        "      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]}\r\n"
        "      Policies:\r\n"
        "        - PolicyName: models\r\n"
        "          PolicyDocument:\r\n"
        "            Statement:\r\n"
        "              # model access\r\n"
        "              - Effect: Allow\r\n"
        "                Action: bedrock:InvokeModel\r\n"
        "                Resource: '*'\r\n"
        "              - Effect: Allow\r\n"
        "                Action: [s3:GetObject, bedrock:Converse]\r\n"
        "                Resource: '*'\r\n"
    )
    source = SourceFile(Path("/nonexistent"), "template.yaml", before.encode("utf-8"))
    assert source.decoded.bom and source.decoded.newline == "\r\n"
    after = source.decoded.encode(migrated_text(source))
    expected = before.replace(
        "              # model access\r\n"
        "              - Effect: Allow\r\n"
        "                Action: bedrock:InvokeModel\r\n"
        "                Resource: '*'\r\n",
        "",
    ).replace("[s3:GetObject, bedrock:Converse]", "[s3:GetObject]")
    assert after == expected.encode("utf-8")


def test_tab_indented_crlf_json() -> None:
    text = (
        '{\r\n\t"Statement": [\r\n'
        '\t\t{"Effect": "Allow", "Action": "bedrock:InvokeModel", "Resource": "*"},\r\n'
        '\t\t{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}\r\n'
        "\t]\r\n}\r\n"
    )
    assert migrated_text(inline("policy.json", text)) == (
        '{\r\n\t"Statement": [\r\n\t\t{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}\r\n\t]\r\n}\r\n'
    )


# -- what stays -----------------------------------------------------------------------------------


def test_raw_policy_that_would_empty_is_left_alone() -> None:
    text = """{
  "Statement": [
    {"Effect": "Allow", "Action": "bedrock:InvokeModel", "Resource": "*"},
    {"Effect": "Allow", "Action": "aws-marketplace:Subscribe", "Resource": "*"}
  ]
}
"""
    source = inline("policy.json", text)
    assert removal_edits(source) == []
    assert {finding.rule for finding in analyze(source)} == {"B2O601", "B2O603"}  # still reported


def test_marketplace_stays_without_an_invocation_grant() -> None:
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
    assert removal_edits(inline("serverless.yml", text)) == []


def test_cloudformation_service_roles_conditions_and_references_stay() -> None:
    text = """\
Resources:
  StatesRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - {Effect: Allow, Principal: {Service: !Sub "states.${AWS::Region}.amazonaws.com"}, Action: sts:AssumeRole}
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
              - {Effect: Allow, Action: bedrock:InvokeModel, Resource: "*"}
  StatesExtra:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: x
      Roles: [!Ref StatesRole]
      PolicyDocument:
        Statement:
          - {Effect: Allow, Action: [logs:PutLogEvents, bedrock:InvokeModel], Resource: "*"}
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      Policies:
        - Statement:
            - {Effect: Allow, Action: bedrock:InvokeModel, Resource: "*"}
  LambdaRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - {Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
              - !If
                - UseBedrock
                - {Effect: Allow, Action: bedrock:InvokeModel, Resource: "*"}
                - !Ref AWS::NoValue
              - {Effect: Deny, Action: bedrock:InvokeModel, Resource: "*"}
              - {Effect: Allow, Action: [s3:GetObject, "bedrock:InvokeModel", sqs:SendMessage], Resource: "*"}
              - {Effect: Allow, Action: [bedrock:InvokeModel, aws-marketplace:Subscribe], Resource: "*"}
              - {Effect: Allow, Action: [!Ref ExtraAction, bedrock:InvokeModel], Resource: "*"}
  Referenced:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Statement:
          - {Effect: Allow, Action: bedrock:InvokeModel, Resource: "*"}
Outputs:
  P: {Value: !Ref Referenced}
"""
    after = migrated_text(inline("template.yaml", text))
    assert after == text.replace(
        '[s3:GetObject, "bedrock:InvokeModel", sqs:SendMessage]', "[s3:GetObject, sqs:SendMessage]"
    ).replace(
        '              - {Effect: Allow, Action: [bedrock:InvokeModel, aws-marketplace:Subscribe], Resource: "*"}\n', ""
    ).replace("[!Ref ExtraAction, bedrock:InvokeModel]", "[!Ref ExtraAction]")


def test_yaml_alias_is_left_alone() -> None:
    text = """\
Resources:
  A:
    Type: AWS::IAM::Policy
    Properties:
      PolicyDocument:
        Statement:
          - &invoke {Effect: Allow, Action: bedrock:InvokeModel, Resource: "*"}
          - *invoke
          - {Effect: Allow, Action: s3:GetObject, Resource: "*"}
"""
    assert removal_edits(inline("template.yaml", text)) == []


def test_serverless_function_statements_are_never_emptied() -> None:
    text = """\
service: s
plugins: [serverless-iam-roles-per-function]
provider:
  name: aws
  iam:
    role:
      statements:
        - Effect: Allow
          Action: [bedrock:InvokeModel]
          Resource: "*"
functions:
  f:
    handler: h
    iamRoleStatements:
      - Effect: Allow
        Action: bedrock:InvokeModel
        Resource: "*"
"""
    # the provider's role is emptied and goes up to `iam:`; the function keeps its own role's statement
    assert migrated_text(inline("serverless.yml", text)) == """\
service: s
plugins: [serverless-iam-roles-per-function]
provider:
  name: aws
functions:
  f:
    handler: h
    iamRoleStatements:
      - Effect: Allow
        Action: bedrock:InvokeModel
        Resource: "*"
"""


KB_MODULE = """\
resource "aws_iam_role" "kb" {
  name = "kb"
  assume_role_policy = jsonencode({
    Statement = [{ Effect = "Allow", Principal = { Service = "bedrock.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
  inline_policy {
    name   = "models"
    policy = jsonencode({ Statement = [{ Effect = "Allow", Action = ["bedrock:InvokeModel", "s3:GetObject"], Resource = "*" }] })
  }
}

resource "aws_iam_role_policy" "kb_models" {
  role   = aws_iam_role.kb.id
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "bedrock:InvokeModel", Resource = "*" }] })
}

resource "aws_iam_role" "lambda" {
  name               = "lambda"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "lambda_models" {
  role   = aws_iam_role.lambda.id
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = ["s3:GetObject", "bedrock:InvokeModel"], Resource = "*" }] })
}

resource "aws_iam_policy" "unattached" {
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = ["s3:GetObject", "bedrock:InvokeModel"], Resource = "*" }] })
}
"""


def test_terraform_knowledge_base_role_keeps_its_grants() -> None:
    after = migrated_text(inline("main.tf", KB_MODULE))
    # only the Lambda role's policy changes: the KB role's, and a policy whose role is unknown, stay
    assert after == KB_MODULE.replace(
        'Action = ["s3:GetObject", "bedrock:InvokeModel"], Resource = "*" }] })\n}\n\nresource "aws_iam_policy"',
        'Action = ["s3:GetObject"], Resource = "*" }] })\n}\n\nresource "aws_iam_policy"',
    )
    assert after != KB_MODULE


def test_terraform_service_role_in_a_sibling_file(tmp_path: Path) -> None:
    (tmp_path / "roles.tf").write_text(
        'resource "aws_iam_role" "sfn" {\n  assume_role_policy = jsonencode({ Statement = [{ Effect = "Allow", '
        'Principal = { Service = "states.amazonaws.com" }, Action = "sts:AssumeRole" }] })\n}\n',
        encoding="utf-8",
    )
    text = (
        'resource "aws_iam_role_policy" "sfn_models" {\n  role   = aws_iam_role.sfn.id\n'
        '  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = ["s3:GetObject", "bedrock:InvokeModel"], '
        'Resource = "*" }] })\n}\n'
    )
    (tmp_path / "main.tf").write_text(text, encoding="utf-8")
    assert removal_edits(load(tmp_path / "main.tf")) == []


def test_terraform_resources_named_elsewhere_and_documents_that_would_empty_stay(tmp_path: Path) -> None:
    text = """\
resource "aws_iam_policy" "attached" {
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "bedrock:InvokeModel", Resource = "*" }] })
}

resource "aws_iam_role_policy_attachment" "a" {
  role       = "r"
  policy_arn = aws_iam_policy.attached.arn
}

data "aws_iam_policy_document" "only" {
  statement {
    actions   = ["bedrock:InvokeModel"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "depended_on" {
  role   = "r"
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "bedrock:InvokeModel", Resource = "*" }] })
}
"""
    (tmp_path / "main.tf").write_text(text, encoding="utf-8")
    (tmp_path / "lambda.tf").write_text(
        'resource "aws_lambda_function" "f" {\n  depends_on = [aws_iam_role_policy.depended_on]\n}\n', encoding="utf-8"
    )
    assert removal_edits(load(tmp_path / "main.tf")) == []
    (tmp_path / "lambda.tf").unlink()
    after = migrated_text(load(tmp_path / "main.tf"))
    assert 'resource "aws_iam_role_policy" "depended_on"' not in after
    assert after == text[: text.index('\nresource "aws_iam_role_policy" "depended_on"')]


# -- layouts -------------------------------------------------------------------------------------------


def test_yaml_flow_lists_and_comments() -> None:
    text = """\
Statement:
  - Effect: Allow
    Action: [logs:PutLogEvents, bedrock:InvokeModel, 'bedrock:Converse']
    Resource: "*"
  - Effect: Allow
    Action: [bedrock:InvokeModel, logs:PutLogEvents, bedrock:Converse, s3:GetObject]
    Resource: "*"
  - Effect: Allow
    Action: [
      logs:PutLogEvents,  # logs
      # the model
      bedrock:InvokeModel  # invoke
    ]
    Resource: "*"
  - {Effect: Allow, Action: bedrock:InvokeModel, Resource: "*"}
  - {Effect: Allow, Action: [s3:GetObject], Resource: "*"}
"""
    assert migrated_text(inline("policy.yaml", text)) == """\
Statement:
  - Effect: Allow
    Action: [logs:PutLogEvents]
    Resource: "*"
  - Effect: Allow
    Action: [logs:PutLogEvents, s3:GetObject]
    Resource: "*"
  - Effect: Allow
    Action: [
      logs:PutLogEvents  # logs
    ]
    Resource: "*"
  - {Effect: Allow, Action: [s3:GetObject], Resource: "*"}
"""


@pytest.mark.parametrize(
    ("statements", "expected"),
    [
        ('[{"Action": "bedrock:InvokeModel", "Effect": "Allow"}, {"Action": "s3:GetObject", "Effect": "Allow"}]',
         '[{"Action": "s3:GetObject", "Effect": "Allow"}]'),
        ('[{"Action": "s3:GetObject", "Effect": "Allow"}, {"Action": "bedrock:InvokeModel", "Effect": "Allow"}]',
         '[{"Action": "s3:GetObject", "Effect": "Allow"}]'),
        (('[{"Action": "s3:GetObject", "Effect": "Allow"}, {"Action": "bedrock:*", "Effect": "Allow"}, '
          '{"Action": "aws-marketplace:Subscribe", "Effect": "Allow"}]'),
         '[{"Action": "s3:GetObject", "Effect": "Allow"}]'),
        ('[{"Action": ["bedrock:Invoke*", "s3:GetObject", "bedrock:ConverseStream"], "Effect": "Allow"}]',
         '[{"Action": ["s3:GetObject"], "Effect": "Allow"}]'),
    ],
)
def test_json_arrays_on_one_line(statements: str, expected: str) -> None:
    text = '{"Statement": ' + statements + "}\n"
    assert migrated_text(inline("policy.json", text)) == '{"Statement": ' + expected + "}\n"


def test_hcl_tuples_and_statement_blocks() -> None:
    text = """\
data "aws_iam_policy_document" "d" {
  statement {
    actions   = ["s3:GetObject", "bedrock:InvokeModel"]
    resources = ["*"]
  }
  statement {
    actions = [
      "bedrock:Converse",
      "s3:PutObject" /* keep */
    ]
    resources = ["*"]
  }
  statement {
    actions = [
      "s3:ListBucket",
      "bedrock:Converse"
    ]
    resources = ["*"]
  }
  statement { actions = ["bedrock:InvokeModel"] }
}
"""
    assert migrated_text(inline("main.tf", text)) == """\
data "aws_iam_policy_document" "d" {
  statement {
    actions   = ["s3:GetObject"]
    resources = ["*"]
  }
  statement {
    actions = [
      "s3:PutObject" /* keep */
    ]
    resources = ["*"]
  }
  statement {
    actions = [
      "s3:ListBucket"
    ]
    resources = ["*"]
  }
}
"""


# -- dispatch -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("README.md", "bedrock:InvokeModel\n"),
        ("app.ts", 'const a = "bedrock:InvokeModel";\n'),
        ("stack.py", 'ACTIONS = ["bedrock:InvokeModel"]\n'),
        ("settings.yaml", "bedrock: true\n"),
    ],
)
def test_other_files_get_no_edits(name: str, text: str) -> None:
    assert removal_edits(inline(name, text)) == []


def test_removal_edits_for_pairs_edits_with_the_right_reparse() -> None:
    source = load(IAC / "terraform" / "before" / "main.tf")
    found = removal_edits_for(source)
    assert found is not None
    edits, check = found
    assert edits == removal_edits(source)
    with pytest.raises(ParseFailure):
        check("resource {")
    assert removal_edits_for(inline("README.md", "x")) is None


def test_only_comments_at_the_entry_indentation_go_with_it() -> None:
    text = """\
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          A: "1"
          # B: "2"
# --- permissions ---
      # the chat handler's model access
      Policies:
        - Statement:
            - {Effect: Allow, Action: bedrock:InvokeModel, Resource: "*"}
      Handler: index.handler
"""
    after = migrated_text(inline("template.yaml", text))
    assert after == text.replace(
        "      # the chat handler's model access\n      Policies:\n        - Statement:\n"
        '            - {Effect: Allow, Action: bedrock:InvokeModel, Resource: "*"}\n',
        "",
    )
