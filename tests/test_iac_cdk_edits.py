"""Removing Bedrock grants from CDK stacks (TypeScript and Python) with parser-located span edits.

The fixture pairs under fixtures/iac/cdk-*/ hold every shape at once; the inline cases
below pin one rule each, and the cases that must come back unchanged.
"""

from __future__ import annotations

import ast
from functools import partial
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper

from bedrock2openrouter.findings import Finding, ParseFailure
from bedrock2openrouter.iac import cdk_python, cdk_typescript
from bedrock2openrouter.edits import EditOutcome, apply_span_edits
from bedrock2openrouter.javascript import parser
from bedrock2openrouter.javascript.detect import analyze as analyze_javascript
from bedrock2openrouter.workspace import SourceFile

from .conftest import FIXTURES
from .npm_tools import node_toolchain, tsc_check

TS_PAIR = FIXTURES / "iac" / "cdk-typescript"
PY_PAIR = FIXTURES / "iac" / "cdk-python"
REMOVED_RULES = {"B2O601", "B2O602", "B2O603"}
KEPT_RULES = {"B2O604", "B2O605", "B2O305"}


def source_at(root: Path, relpath: str) -> SourceFile:
    return SourceFile(root, relpath, (root / relpath).read_bytes())


def inline(name: str, text: str) -> SourceFile:
    return SourceFile(Path("/nonexistent"), name, text.encode("utf-8"))


def module_for(source: SourceFile):
    return cdk_python if source.suffix == ".py" else cdk_typescript


def migrate(source: SourceFile) -> EditOutcome:
    module = module_for(source)
    return apply_span_edits(source.text, module.removal_edits(source), module.reparse)


def scan(source: SourceFile) -> list[Finding]:
    if source.suffix == ".py":
        return cdk_python.analyze_cdk_python(source, MetadataWrapper(cst.parse_module(source.text)))
    return analyze_javascript(source)


def rules(findings: list[Finding]) -> set[str]:
    return {finding.rule for finding in findings}


def unchanged(source: SourceFile) -> bool:
    return module_for(source).removal_edits(source) == []


# -- fixture pairs --------------------------------------------------------------------------

PAIRS = [(TS_PAIR, "lib/api-stack.ts"), (PY_PAIR, "stack.py")]


@pytest.mark.parametrize(("pair", "relpath"), PAIRS, ids=["typescript", "python"])
def test_fixture_pair_byte_for_byte(pair: Path, relpath: str) -> None:
    before = source_at(pair / "before", relpath)
    outcome = migrate(before)
    assert outcome.dropped == []
    assert before.decoded.encode(outcome.text) == (pair / "after" / relpath).read_bytes()


@pytest.mark.parametrize(("pair", "relpath"), PAIRS, ids=["typescript", "python"])
def test_fixture_pair_rescan(pair: Path, relpath: str) -> None:
    before, after = source_at(pair / "before", relpath), source_at(pair / "after", relpath)
    assert REMOVED_RULES | KEPT_RULES <= rules(scan(before))
    left = rules(scan(after))
    assert not left & REMOVED_RULES
    assert KEPT_RULES <= left  # Knowledge Base, AmazonBedrockFullAccess and the Step Functions task stay


@pytest.mark.parametrize(("pair", "relpath"), PAIRS, ids=["typescript", "python"])
def test_edits_resolve_the_scanners_findings(pair: Path, relpath: str) -> None:
    before = source_at(pair / "before", relpath)
    edits = module_for(before).removal_edits(before)
    found = scan(before)
    assert all(edit.finding in found for edit in edits)
    assert {f for f in found if f.rule in REMOVED_RULES} == {edit.finding for edit in edits}
    assert all(edit.replacement == "" and "\n" not in edit.description for edit in edits)


def test_typescript_fixture_principals_and_descriptions() -> None:
    before = source_at(TS_PAIR / "before", "lib/api-stack.ts")
    edits = cdk_typescript.removal_edits(before)
    assert [edit.principal for edit in edits] == ["lambdaRole"] * 4 + ["opsRole"] * 3 + ["chatFunction"]
    # The same wording as every other format (the rule's, `iac.rules`).
    assert edits[1].description.startswith("removed AWS Marketplace statement (aws-marketplace:ViewSubscriptions")
    assert edits[2].description == (
        "removed bedrock:ConverseStream from a statement that keeps logs:CreateLogGroup, logs:PutLogEvents")
    assert edits[4].description.endswith("with the inline policy ModelAccess it left empty")
    assert edits[6].description.endswith("and const streamStatement holding it")
    assert edits[6].replacement == ""  # the const and its use are adjacent: one deletion


def test_python_fixture_principals() -> None:
    before = source_at(PY_PAIR / "before", "stack.py")
    edits = cdk_python.removal_edits(before)
    assert [edit.principal for edit in edits] == (
        ["lambda_role"] * 4 + ["ops_role"] * 3 + ["chat_function", "worker_role"]
    )
    assert edits[6].description.endswith("and the assignment to stream_statement")


def test_python_after_parses() -> None:
    ast.parse((PY_PAIR / "after" / "stack.py").read_text(encoding="utf-8"))


def test_typescript_after_parses_and_type_checks() -> None:
    after = TS_PAIR / "after" / "lib" / "api-stack.ts"
    parser.parse(source_at(TS_PAIR / "after", "lib/api-stack.ts"))  # raises on any tree-sitter error
    if node_toolchain() is None:
        pytest.skip("npm/node not installed: cannot type-check the CDK TypeScript with tsc")
    for stack in (TS_PAIR / "before" / "lib" / "api-stack.ts", after):
        result = tsc_check([stack])
        assert result.returncode == 0, result.stdout + result.stderr


def test_thinktank_plan_lines_31_to_55() -> None:
    """The flagship plan: api-stack.ts loses its Bedrock and Marketplace statements, nothing else."""
    root = FIXTURES / "demo" / "thinktank" / "AWS_Services" / "cdk"
    before = source_at(root, "lib/api-stack.ts")
    outcome = migrate(before)
    lines = before.text.splitlines(keepends=True)
    assert outcome.text == "".join(lines[:13] + lines[32:])  # both comments and statements, and one blank line
    assert [edit.finding.rule for edit in outcome.applied] == ["B2O601", "B2O603"]


# -- parse failures, line endings -------------------------------------------------------------

STACK = """\
import * as iam from "aws-cdk-lib/aws-iam";

export function grant(role: iam.Role): void {
  // Bedrock models
  role.addToPolicy(new iam.PolicyStatement({ actions: ["bedrock:InvokeModel"], resources: ["*"] }));
  // Marketplace subscriptions for third-party models
  role.addToPolicy(new iam.PolicyStatement({ actions: ["aws-marketplace:Subscribe"], resources: ["*"] }));
  role.addToPolicy(new iam.PolicyStatement({ actions: ["s3:GetObject"], resources: ["*"] }));
}
"""


def test_an_edit_that_breaks_parsing_is_dropped() -> None:
    source = inline("stack.ts", STACK)
    edits = cdk_typescript.removal_edits(source)
    marketplace = next(edit for edit in edits if edit.finding.rule == "B2O603")

    def reparse(text: str) -> None:  # pretend the Marketplace removal breaks the file
        if "aws-marketplace" not in text:
            raise ParseFailure("TypeScript syntax error: unexpected", 6, 3)
        cdk_typescript.reparse(text)

    outcome = apply_span_edits(source.text, edits, reparse)
    assert [edit for edit, _ in outcome.dropped] == [marketplace]
    assert outcome.dropped[0][1] == "TypeScript syntax error: unexpected"
    assert "aws-marketplace:Subscribe" in outcome.text and "bedrock:InvokeModel" not in outcome.text


def test_reparse_rejects_broken_text() -> None:
    with pytest.raises(ParseFailure):
        cdk_typescript.reparse("role.addToPolicy(new iam.PolicyStatement({ actions: [] });\n")
    with pytest.raises(ParseFailure):
        cdk_python.reparse("def f():\n# nothing left\n")
    with pytest.raises(ParseFailure):
        cdk_typescript.reparse("const a = <div>{x}</div>;\n")  # TypeScript proper has no JSX
    partial(cdk_typescript.reparse, relpath="stack.tsx")("const a = <div>{x}</div>;\n")


def test_crlf_line_endings_are_kept() -> None:
    source = inline("stack.ts", STACK.replace("\n", "\r\n"))
    outcome = migrate(source)
    assert outcome.text == (
        'import * as iam from "aws-cdk-lib/aws-iam";\r\n'
        "\r\n"
        "export function grant(role: iam.Role): void {\r\n"
        '  role.addToPolicy(new iam.PolicyStatement({ actions: ["s3:GetObject"], resources: ["*"] }));\r\n'
        "}\r\n"
    )
    written = source.decoded.encode(outcome.text)
    assert written.count(b"\n") == written.count(b"\r\n") == source.data.count(b"\r\n") - 4


def test_offsets_after_astral_and_accented_characters() -> None:
    """tree-sitter counts bytes and libcst characters: both must land on the same characters of the text."""
    statement = 'role.addToPolicy(new iam.PolicyStatement({ actions: ["é🎉"%s] }));\n'
    ts = inline("stack.ts", HEADER + "// 🚀 café\n" + statement % ', "bedrock:InvokeModel"')
    assert migrate(ts).text == HEADER + "// 🚀 café\n" + statement % ""
    call = 'role.add_to_policy(iam.PolicyStatement(actions=["é🎉"%s]))\n'
    py = inline("stack.py", "from aws_cdk import aws_iam as iam\n# 🚀\n" + call % ', "bedrock:*"')
    assert migrate(py).text == "from aws_cdk import aws_iam as iam\n# 🚀\n" + call % ""


# -- TypeScript shapes ---------------------------------------------------------------------------

HEADER = 'import * as iam from "aws-cdk-lib/aws-iam";\n'


def ts_result(body: str, name: str = "stack.ts") -> str:
    outcome = migrate(inline(name, HEADER + body))
    assert outcome.dropped == []
    assert outcome.text.startswith(HEADER)
    return outcome.text[len(HEADER):]


def test_const_statement_used_twice_is_left_alone() -> None:
    body = """\
const s = new iam.PolicyStatement({ actions: ["bedrock:InvokeModel"], resources: ["*"] });
role.addToPolicy(s);
other.addToPolicy(s);
"""
    assert unchanged(inline("stack.ts", HEADER + body))


def test_const_statement_used_once_goes_with_its_use_in_one_edit() -> None:
    body = """\
const s = new iam.PolicyStatement({ actions: ["bedrock:InvokeModel"], resources: ["*"] });
const unrelated = 1;
role.addToPolicy(s);
console.log(unrelated);
"""
    source = inline("stack.ts", HEADER + body)
    [edit] = cdk_typescript.removal_edits(source)  # one edit: applied or dropped together
    assert edit.replacement == "const unrelated = 1;\n"
    assert ts_result(body) == "const unrelated = 1;\nconsole.log(unrelated);\n"

    def reject(text: str) -> None:
        raise ParseFailure("rejected")

    outcome = apply_span_edits(source.text, [edit], reject)
    assert outcome.text == source.text and [dropped for dropped, _ in outcome.dropped] == [edit]


def test_const_with_another_removal_between_is_left_alone() -> None:
    declaration = 'const s = new iam.PolicyStatement({ actions: ["bedrock:InvokeModel"], resources: ["*"] });\n'
    between = 'role.addToPolicy(new iam.PolicyStatement({ actions: ["bedrock:Converse"] }));\n'
    assert ts_result(declaration + between + "role.addToPolicy(s);\n") == declaration + "role.addToPolicy(s);\n"


def test_let_or_exported_statements_are_left_alone() -> None:
    for body in (
        'let s = new iam.PolicyStatement({ actions: ["bedrock:InvokeModel"] });\nrole.addToPolicy(s);\n',
        'export const s = new iam.PolicyStatement({ actions: ["bedrock:InvokeModel"] });\nrole.addToPolicy(s);\n',
        'const result = role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ["bedrock:*"] }));\n',
        'if (on) role.addToPolicy(new iam.PolicyStatement({ actions: ["bedrock:*"] }));\n',
    ):
        assert unchanged(inline("stack.ts", HEADER + body)), body


def test_mixed_inline_actions_first_middle_last() -> None:
    body = """\
role.addToPolicy(new iam.PolicyStatement({ actions: ["bedrock:InvokeModel", "s3:GetObject"] }));
role.addToPolicy(new iam.PolicyStatement({ actions: ["s3:GetObject", "bedrock:Converse", "s3:PutObject"] }));
role.addToPolicy(new iam.PolicyStatement({ actions: ["s3:GetObject", "bedrock:Invoke*", "bedrock:Converse*",] }));
"""
    assert ts_result(body) == """\
role.addToPolicy(new iam.PolicyStatement({ actions: ["s3:GetObject"] }));
role.addToPolicy(new iam.PolicyStatement({ actions: ["s3:GetObject", "s3:PutObject"] }));
role.addToPolicy(new iam.PolicyStatement({ actions: ["s3:GetObject",] }));
"""


def test_mixed_keeps_other_bedrock_actions_and_unknown_elements() -> None:
    body = """\
role.addToPolicy(new iam.PolicyStatement({ actions: ["bedrock:Retrieve", "bedrock:InvokeModel"] }));
role.addToPolicy(new iam.PolicyStatement({ actions: ["bedrock:InvokeModel", extraAction] }));
"""
    assert ts_result(body) == """\
role.addToPolicy(new iam.PolicyStatement({ actions: ["bedrock:Retrieve"] }));
role.addToPolicy(new iam.PolicyStatement({ actions: [extraAction] }));
"""


def test_only_a_spread_left_means_no_edit() -> None:
    body = 'role.addToPolicy(new iam.PolicyStatement({ actions: ["bedrock:InvokeModel", ...more] }));\n'
    assert unchanged(inline("stack.ts", HEADER + body))


def test_header_comment_over_code_that_stays_stays() -> None:
    body = """\
// IAM for the worker
role.addToPolicy(new iam.PolicyStatement({ actions: ["bedrock:InvokeModel"] }));
role.addToPolicy(new iam.PolicyStatement({ actions: ["s3:GetObject"] }));
"""
    assert ts_result(body) == """\
// IAM for the worker
role.addToPolicy(new iam.PolicyStatement({ actions: ["s3:GetObject"] }));
"""


def test_statement_sharing_a_line_is_left_alone() -> None:
    body = 'setup(); role.addToPolicy(new iam.PolicyStatement({ actions: ["bedrock:InvokeModel"] }));\n'
    assert unchanged(inline("stack.ts", HEADER + body))


def test_standalone_policy_document_that_would_empty_is_left_alone() -> None:
    body = """\
const doc = new iam.PolicyDocument({
  statements: [new iam.PolicyStatement({ actions: ["bedrock:InvokeModel"], resources: ["*"] })],
});
const withSids = new iam.Role(this, "R", {
  assumedBy: principal,
  inlinePolicies: {
    Models: new iam.PolicyDocument({
      assignSids: true,
      statements: [new iam.PolicyStatement({ actions: ["bedrock:*"] })],
    }),
  },
});
"""
    assert unchanged(inline("stack.ts", HEADER + body))


def test_inline_policies_that_empty_go_with_their_key() -> None:
    body = """\
const role = new iam.Role(this, "R", {
  assumedBy: principal,
  inlinePolicies: {
    Models: new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({ actions: ["bedrock:InvokeModel"] }),
        // third-party models
        new iam.PolicyStatement({ actions: ["aws-marketplace:ViewSubscriptions"] }),
      ],
    }),
  },
  description: "worker",
});
"""
    source = inline("stack.ts", HEADER + body)
    edits = cdk_typescript.removal_edits(source)
    assert len(edits) == 1 and edits[0].principal == "role"
    assert "(and 1 more statement(s) there)" in edits[0].description
    assert ts_result(body) == """\
const role = new iam.Role(this, "R", {
  assumedBy: principal,
  description: "worker",
});
"""


def test_policy_statement_list_items_inline() -> None:
    body = """\
new iam.ManagedPolicy(this, "P", { statements: [new iam.PolicyStatement({ actions: ["bedrock:InvokeModel"] }), s3] });
new iam.ManagedPolicy(this, "Q", { statements: [s3, new iam.PolicyStatement({ actions: ["bedrock:InvokeModel"] })] });
new iam.ManagedPolicy(this, "R", { statements: [new iam.PolicyStatement({ actions: ["bedrock:InvokeModel"] })] });
"""
    assert ts_result(body) == """\
new iam.ManagedPolicy(this, "P", { statements: [s3] });
new iam.ManagedPolicy(this, "Q", { statements: [s3] });
new iam.ManagedPolicy(this, "R", { statements: [new iam.PolicyStatement({ actions: ["bedrock:InvokeModel"] })] });
"""


def test_json_statements_in_cfn_policy() -> None:
    body = """\
new iam.CfnPolicy(this, "P", {
  policyName: "p",
  policyDocument: {
    Statement: [
      { Effect: "Allow", Action: "bedrock:InvokeModel", Resource: "*" },
      { Effect: "Allow", Action: ["s3:GetObject", "bedrock:ConverseStream"], Resource: "*" },
      { Effect: "Deny", Action: "bedrock:*", Resource: "*" },
    ],
  },
});
"""
    assert ts_result(body) == """\
new iam.CfnPolicy(this, "P", {
  policyName: "p",
  policyDocument: {
    Statement: [
      { Effect: "Allow", Action: ["s3:GetObject"], Resource: "*" },
      { Effect: "Deny", Action: "bedrock:*", Resource: "*" },
    ],
  },
});
"""


def test_marketplace_needs_an_invocation_grant_in_the_file() -> None:
    body = """\
role.addToPolicy(new iam.PolicyStatement({ actions: ["aws-marketplace:Subscribe"], resources: ["*"] }));
role.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName("AmazonBedrockFullAccess"));
role.addToPolicy(new iam.PolicyStatement({ actions: ["bedrock:Retrieve"], resources: ["*"] }));
"""
    source = inline("stack.ts", HEADER + body)
    assert "B2O603" in rules(scan(source))  # reported ...
    assert unchanged(source)  # ... but nothing in this file invokes models through it


def test_grant_and_blank_lines_in_a_block() -> None:
    body = """\
export function wire(role: iam.IRole): void {
  const x = 1;

  // Models
  iam.Grant.addToPrincipal({ grantee: role, actions: ["bedrock:InvokeModel"], resourceArns: ["*"] });
}
"""
    source = inline("stack.ts", HEADER + body)
    assert cdk_typescript.removal_edits(source)[0].principal == "role"
    assert ts_result(body) == "export function wire(role: iam.IRole): void {\n  const x = 1;\n}\n"


def test_grants_of_roles_step_functions_or_bedrock_assume_stay() -> None:
    """Those services keep calling Bedrock after the code moves to OpenRouter (as in the YAML/HCL formats)."""
    body = """\
const kbRole = new iam.Role(this, "KbRole", { assumedBy: new iam.ServicePrincipal("bedrock.amazonaws.com") });
kbRole.addToPolicy(new iam.PolicyStatement({ actions: ["bedrock:InvokeModel"], resources: ["*"] }));
const flowRole = new iam.Role(this, "FlowRole", {
  assumedBy: new iam.CompositePrincipal(new iam.ServicePrincipal(`states.${this.region}.amazonaws.com`)),
});
flowRole.addToPolicy(new iam.PolicyStatement({ actions: ["bedrock:InvokeModel", "s3:GetObject"] }));
const machine = new sfn.StateMachine(this, "M", { definitionBody });
machine.addToRolePolicy(new iam.PolicyStatement({ actions: ["bedrock:InvokeModel"], resources: ["*"] }));
props.role.addToPolicy(new iam.PolicyStatement({ actions: ["bedrock:InvokeModel"], resources: ["*"] }));
"""
    source = inline("stack.ts", HEADER + 'import * as sfn from "aws-cdk-lib/aws-stepfunctions";\n' + body)
    assert {"B2O601", "B2O602"} <= rules(scan(source))
    assert unchanged(source)  # props.role is unknown, and this file has Bedrock callers: it stays too


def test_unknown_grantee_without_bedrock_callers_goes() -> None:
    body = 'props.role.addToPolicy(new iam.PolicyStatement({ actions: ["bedrock:InvokeModel"], resources: ["*"] }));\n'
    source = inline("stack.ts", HEADER + body)
    assert [edit.principal for edit in cdk_typescript.removal_edits(source)] == ["props.role"]


def test_function_role_resolves_through_its_props() -> None:
    body = """\
const role = new iam.Role(this, "R", { assumedBy: new iam.ServicePrincipal("states.amazonaws.com") });
const fn = new lambda.Function(this, "F", { role, runtime, handler: "i.h", code });
fn.addToRolePolicy(new iam.PolicyStatement({ actions: ["bedrock:InvokeModel"], resources: ["*"] }));
"""
    assert unchanged(inline("stack.ts", HEADER + body))
    lambda_body = body.replace("states.amazonaws.com", "lambda.amazonaws.com")
    assert ts_result(lambda_body) == lambda_body.rsplit("fn.addTo", 1)[0]


def test_javascript_file_with_its_grammar() -> None:
    source = inline("stack.js", (
        'const iam = require("aws-cdk-lib/aws-iam");\n'
        'fn.addToRolePolicy(new iam.PolicyStatement({ actions: ["bedrock:InvokeModel"] }));\n'
        "module.exports = {};\n"
    ))
    outcome = apply_span_edits(
        source.text, cdk_typescript.removal_edits(source), partial(cdk_typescript.reparse, relpath="stack.js")
    )
    assert outcome.text == 'const iam = require("aws-cdk-lib/aws-iam");\nmodule.exports = {};\n'


# -- Python shapes ----------------------------------------------------------------------------

PY_HEADER = "from aws_cdk import aws_iam as iam\n"


def py_result(body: str) -> str:
    outcome = migrate(inline("stack.py", PY_HEADER + body))
    assert outcome.dropped == []
    ast.parse(outcome.text)
    return outcome.text[len(PY_HEADER):]


def test_python_name_used_twice_is_left_alone() -> None:
    body = """\
s = iam.PolicyStatement(actions=["bedrock:InvokeModel"], resources=["*"])
role.add_to_policy(s)
other.add_to_policy(s)
"""
    assert unchanged(inline("stack.py", PY_HEADER + body))


def test_python_only_statement_of_a_block_is_left_alone() -> None:
    body = """\
def grant(role):
    # Bedrock
    role.add_to_policy(iam.PolicyStatement(actions=["bedrock:InvokeModel"], resources=["*"]))
"""
    assert unchanged(inline("stack.py", PY_HEADER + body))


def test_python_mixed_actions_and_tuples() -> None:
    body = """\
role.add_to_policy(iam.PolicyStatement(actions=["bedrock:InvokeModel", "s3:GetObject"]))
role.add_to_policy(iam.PolicyStatement(actions=("s3:GetObject", "s3:PutObject", "bedrock:Converse")))
role.add_to_policy(iam.PolicyStatement(actions=("s3:GetObject", "bedrock:Converse")))
"""
    assert py_result(body) == """\
role.add_to_policy(iam.PolicyStatement(actions=["s3:GetObject"]))
role.add_to_policy(iam.PolicyStatement(actions=("s3:GetObject", "s3:PutObject")))
role.add_to_policy(iam.PolicyStatement(actions=("s3:GetObject", "bedrock:Converse")))
"""  # the last would become ("s3:GetObject"), a string: left for a human


def test_python_from_json_and_end_of_block() -> None:
    body = """\
class Stack:
    def wire(self, role):
        role.add_to_policy(iam.PolicyStatement(actions=["s3:GetObject"]))

        # Models, spelled as IAM JSON
        role.add_to_policy(iam.PolicyStatement.from_json({"Effect": "Allow", "Action": "bedrock:*", "Resource": "*"}))

    def other(self):
        pass
"""
    assert py_result(body) == """\
class Stack:
    def wire(self, role):
        role.add_to_policy(iam.PolicyStatement(actions=["s3:GetObject"]))

    def other(self):
        pass
"""


def test_python_inline_policies_map_that_empties_goes() -> None:
    body = """\
role = iam.Role(
    self, "R",
    assumed_by=principal,
    inline_policies={"Models": iam.PolicyDocument(statements=[iam.PolicyStatement(actions=["bedrock:*"])])},
)
"""
    assert py_result(body) == 'role = iam.Role(\n    self, "R",\n    assumed_by=principal,\n)\n'


def test_python_grants_of_bedrock_callers_stay() -> None:
    body = """\
kb_role = iam.Role(self, "KbRole", assumed_by=iam.ServicePrincipal("bedrock.amazonaws.com"))
kb_role.add_to_policy(iam.PolicyStatement(actions=["bedrock:InvokeModel"], resources=["*"]))
flow = sfn.StateMachine(self, "Flow", definition_body=body)
flow.add_to_role_policy(iam.PolicyStatement(actions=["bedrock:InvokeModel"], resources=["*"]))
iam.Grant.add_to_principal(grantee=props.role, actions=["bedrock:InvokeModel"], resource_arns=["*"])
"""
    source = inline("stack.py", PY_HEADER + "from aws_cdk import aws_stepfunctions as sfn\n" + body)
    assert unchanged(source)


def test_python_policy_document_with_other_props_is_left_alone() -> None:
    body = """\
doc = iam.PolicyDocument(statements=[iam.PolicyStatement(actions=["bedrock:InvokeModel"])], assign_sids=True)
"""
    assert unchanged(inline("stack.py", PY_HEADER + body))
