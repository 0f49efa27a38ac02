"""`bedrock2openrouter snippet`: every format, ECS variant and import/create mode, checked by the real tool.

cfn-lint for CloudFormation and SAM (a complete template, clean on its own),
python-hcl2 for Terraform, `ast` for CDK Python (plus a cross-check of every
CDK name it uses against aws-cdk-lib's own type declarations), `tsc --noEmit`
against aws-cdk-lib for CDK TypeScript, and one real `App().synth()` of the
TypeScript snippets. The Node toolchain is installed once into `.cache/node`
(see `tests/npm_tools.py`); those tests skip only when npm is absent.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
from pathlib import Path

import hcl2
import pytest
import yaml
from cfnlint.api import ManualArgs, lint
from cfnlint.decode.cfn_yaml import loads as cfn_loads
from typer.testing import CliRunner

from bedrock2openrouter.cli import app
from bedrock2openrouter.snippets import (
    SECRET_NAME_MAX,
    SnippetError,
    SnippetFormat,
    SnippetOptions,
    default_secret_name,
    file_name,
    render_snippet,
    validate,
)

from .npm_tools import node_toolchain, tsc_check

runner = CliRunner()

SECRET = "thinktank/openrouter"
PUT_VALUE = (
    f"aws secretsmanager put-secret-value --secret-id {SECRET} "
    "--secret-string '{\"OPENROUTER_API_KEY\":\"sk-or-...\"}'"
)
NO_ECS = {"sam", "serverless"}
CASES = [
    (fmt.value, ecs, create)
    for fmt in SnippetFormat
    for ecs in (False, True)
    if not (ecs and fmt.value in NO_ECS)
    for create in (False, True)
]


def case_id(case: tuple[str, bool, bool]) -> str:
    fmt, ecs, create = case
    return f"{fmt}{'-ecs' if ecs else ''}-{'create' if create else 'import'}"


def snippet(*args: str):
    return runner.invoke(app, ["snippet", "--project", "ThinkTank", *args])


def render_cli(fmt: str, ecs: bool, create: bool, *extra: str) -> str:
    args = ["--format", fmt, *(["--ecs"] if ecs else []), "--create-secret" if create else "--import-secret", *extra]
    result = snippet(*args)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def cfn_lint(template: str) -> list[str]:
    """Every cfn-lint match (errors, warnings and informational) as text."""
    return [str(match) for match in lint(template, config=ManualArgs(regions=["us-east-1"]))]


def policy_statements(resources: dict) -> list[tuple[dict, dict]]:
    """(policy resource, statement) pairs for every AWS::IAM::Policy in a template."""
    return [
        (resource, statement)
        for resource in resources.values()
        if resource["Type"] == "AWS::IAM::Policy"
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]
    ]


def actions(statement: dict) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


# --------------------------------------------------------------------------- every case


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_never_the_key_and_always_the_manual_step(case):
    fmt, ecs, create = case
    text = render_cli(fmt, ecs, create)
    assert SECRET in text
    assert PUT_VALUE in text  # the one manual step, as a comment, with a placeholder
    assert not re.search(r"sk-or-(?!\.\.\.)", text), "a key-like value leaked into the snippet"
    assert "aws_secretsmanager_secret_version" not in text
    assert "${ssm:" not in text and "resolve:secretsmanager" not in text
    if not create:
        assert f"aws secretsmanager create-secret --name {SECRET} " in text


# --------------------------------------------------------------------------- CloudFormation and SAM


@pytest.mark.parametrize(
    "case", [c for c in CASES if c[0] in ("cloudformation", "sam")], ids=case_id
)
def test_cloudformation_and_sam_are_complete_templates_that_lint_clean(case):
    fmt, ecs, create = case
    text = render_cli(fmt, ecs, create)
    assert cfn_lint(text) == []
    assert "Add to your template" in text or "<- add" in text  # where it joins the user's stack
    template = cfn_loads(text)
    resources = template["Resources"]
    if fmt == "sam":
        assert template["Transform"] == "AWS::Serverless-2016-10-31"

    secrets = {name: r for name, r in resources.items() if r["Type"] == "AWS::SecretsManager::Secret"}
    if create:
        assert list(secrets) == ["OpenRouterSecret"]
        secret = secrets["OpenRouterSecret"]
        assert secret["Properties"]["Name"] == SECRET
        assert secret["Properties"]["Description"]
        assert not {"SecretString", "GenerateSecretString"} & set(secret["Properties"])
        assert secret["DeletionPolicy"] == secret["UpdateReplacePolicy"] == "Retain"
        arn = {"Ref": "OpenRouterSecret"}
    else:
        assert secrets == {}
        arn = {"Fn::Sub": f"arn:${{AWS::Partition}}:secretsmanager:${{AWS::Region}}:${{AWS::AccountId}}:secret:{SECRET}"}
    policy_arn = arn if create else {"Fn::Sub": arn["Fn::Sub"] + "-??????"}

    if fmt == "sam":
        function = resources["ChatFunction"]["Properties"]
        assert {"AWSSecretsManagerGetSecretValuePolicy": {"SecretArn": policy_arn}} in function["Policies"]
        assert function["Environment"]["Variables"]["OPENROUTER_SECRET_ARN"] == arn
        return

    [(policy, statement)] = policy_statements(resources)
    assert actions(statement) == ["secretsmanager:GetSecretValue"]
    assert statement["Effect"] == "Allow" and statement["Resource"] == policy_arn
    if ecs:
        task = resources["ChatTaskDefinition"]["Properties"]
        role = task["ExecutionRoleArn"]["Fn::GetAtt"][0]
        assert policy["Properties"]["Roles"] == [{"Ref": role}]  # the execution role, not the task role
        [container] = task["ContainerDefinitions"]
        [entry] = container["Secrets"]
        assert entry["Name"] == "OPENROUTER_API_KEY"
        value_from = entry["ValueFrom"]["Fn::Sub"]
        assert value_from.endswith(":OPENROUTER_API_KEY::")
        assert value_from == ("${OpenRouterSecret}" if create else arn["Fn::Sub"]) + ":OPENROUTER_API_KEY::"
    else:
        function = resources["ChatFunction"]["Properties"]
        role = function["Role"]["Fn::GetAtt"][0]
        assert policy["Properties"]["Roles"] == [{"Ref": role}]
        assert function["Environment"]["Variables"] == {"OPENROUTER_SECRET_ARN": arn}


def test_custom_names_flow_into_a_template_that_still_lints_clean():
    text = render_cli(
        "cloudformation", False, True,
        "--secret-name", "prod/llm/openrouter", "--function", "ApiHandler", "--env-var", "LLM_SECRET_ARN",
    )
    assert cfn_lint(text) == []
    resources = cfn_loads(text)["Resources"]
    assert resources["OpenRouterSecret"]["Properties"]["Name"] == "prod/llm/openrouter"
    assert resources["ApiHandler"]["Properties"]["Environment"]["Variables"] == {"LLM_SECRET_ARN": {"Ref": "OpenRouterSecret"}}
    assert resources["OpenRouterSecretReadPolicy"]["Properties"]["Roles"] == [{"Ref": "ApiHandlerRole"}]


def test_ecs_env_var_names_the_injected_variable():
    text = render_cli("cloudformation", True, False, "--env-var", "CODEGEN_API_KEY")
    assert cfn_lint(text) == []
    task = cfn_loads(text)["Resources"]["ChatTaskDefinition"]["Properties"]
    assert task["ContainerDefinitions"][0]["Secrets"][0]["Name"] == "CODEGEN_API_KEY"


# --------------------------------------------------------------------------- Terraform


def _tf_blocks(parsed: dict, kind: str) -> dict[tuple[str, str], dict]:
    """{(type, name): body} for `resource` or `data` blocks; python-hcl2 keeps the quotes on labels."""
    found = {}
    for entry in parsed.get(kind, []):
        for block_type, named in entry.items():
            for name, body in named.items():
                found[(block_type.strip('"'), name.strip('"'))] = body
    return found


@pytest.mark.parametrize("case", [c for c in CASES if c[0] == "terraform"], ids=case_id)
def test_terraform_parses_and_grants_through_a_policy_document(case):
    _, ecs, create = case
    text = render_cli("terraform", ecs, create)
    parsed = hcl2.loads(text)
    resources, data = _tf_blocks(parsed, "resource"), _tf_blocks(parsed, "data")
    assert not any(kind == "aws_secretsmanager_secret_version" for kind, _ in resources)

    if create:
        secret = resources[("aws_secretsmanager_secret", "openrouter")]
        assert secret["name"] == f'"{SECRET}"' and secret["description"]
        assert ("aws_secretsmanager_secret", "openrouter") not in data
        arn = "aws_secretsmanager_secret.openrouter.arn"
    else:
        assert data[("aws_secretsmanager_secret", "openrouter")]["name"] == f'"{SECRET}"'
        assert not any(kind == "aws_secretsmanager_secret" for kind, _ in resources)
        arn = "data.aws_secretsmanager_secret.openrouter.arn"

    [statement] = data[("aws_iam_policy_document", "openrouter_secret_read")]["statement"]
    assert statement["actions"] == ['"secretsmanager:GetSecretValue"']
    assert statement["effect"] == '"Allow"'
    assert statement["resources"] == [f"${{{arn}}}"]

    policy = resources[("aws_iam_role_policy", "chat_openrouter_secret_read")]
    assert policy["policy"] == "${data.aws_iam_policy_document.openrouter_secret_read.json}"
    role_source = "aws_ecs_task_definition.chat.execution_role_arn" if ecs else "aws_lambda_function.chat.role"
    assert policy["role"] == f'${{regex("[^/]+$", {role_source})}}'

    [local_values] = parsed["locals"]
    if ecs:
        [entry] = local_values["openrouter_container_secrets"]
        assert entry["name"] == '"OPENROUTER_API_KEY"'
        assert entry["valueFrom"] == f'"${{{arn}}}:OPENROUTER_API_KEY::"'
    else:
        assert local_values["openrouter_environment"] == {"OPENROUTER_SECRET_ARN": f"${{{arn}}}"}


def test_terraform_resource_names_may_hold_hyphens():
    parsed = hcl2.loads(render_cli("terraform", False, False, "--function", "chat-api"))
    policy = _tf_blocks(parsed, "resource")[("aws_iam_role_policy", "chat-api_openrouter_secret_read")]
    assert "aws_lambda_function.chat-api.role" in policy["role"]


# --------------------------------------------------------------------------- CDK Python


def _calls(tree: ast.AST) -> dict[str, list[ast.Call]]:
    found: dict[str, list[ast.Call]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            found.setdefault(node.func.attr, []).append(node)
    return found


@pytest.mark.parametrize("case", [c for c in CASES if c[0] == "cdk-python"], ids=case_id)
def test_cdk_python_parses_and_grants_read(case):
    _, ecs, create = case
    text = render_cli("cdk-python", ecs, create)
    tree = ast.parse(text)
    compile(tree, file_name(SnippetFormat.cdk_python, ecs), "exec")
    calls = _calls(tree)
    assert "grant_read" in calls
    [constant] = [n for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "OPENROUTER_SECRET_NAME"]
    assert constant.value.value == SECRET
    if create:
        [cfn_secret] = calls["CfnSecret"]
        keywords = {k.arg for k in cfn_secret.keywords}
        assert keywords == {"name", "description"}  # no secret_string, no generate_secret_string
        assert "apply_removal_policy" in calls and "from_secret_complete_arn" in calls
    else:
        assert "from_secret_name_v2" in calls and "CfnSecret" not in calls
    if ecs:
        [add_secret] = calls["add_secret"]
        assert add_secret.args[0].value == "OPENROUTER_API_KEY"
        [grant] = calls["grant_read"]
        assert ast.unparse(grant.args[0]) == "container.task_definition.obtain_execution_role()"
    else:
        [add_env] = calls["add_environment"]
        assert add_env.args[0].value == "OPENROUTER_SECRET_ARN"
        assert ast.unparse(add_env.args[1]) == "secret.secret_arn"


def _camel(name: str) -> str:
    head, *rest = name.rstrip("_").split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@pytest.mark.parametrize("ecs", [False, True], ids=["lambda", "ecs"])
def test_cdk_python_uses_only_names_aws_cdk_lib_declares(ecs):
    """Python CDK is generated from the TypeScript declarations; every name we call must exist there."""
    prefix = node_toolchain()
    if prefix is None:
        pytest.skip("npm is not installed: no aws-cdk-lib declarations to check the CDK Python names against")
    lib = prefix / "node_modules" / "aws-cdk-lib"
    declarations = "\n".join(
        path.read_text(encoding="utf-8")
        for folder in ("aws-secretsmanager", "aws-lambda", "aws-ecs", "core", "aws-iam")
        for path in (lib / folder / "lib").rglob("*.d.ts")
    )
    tree = ast.parse(render_snippet(SnippetOptions(SnippetFormat.cdk_python, ecs=ecs, create_secret=True)))
    names = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    names |= {k.arg for node in ast.walk(tree) if isinstance(node, ast.Call) for k in node.keywords if k.arg}
    names |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module == "aws_cdk"
              for alias in node.names if not alias.name.startswith("aws_")}
    for name in sorted(names):
        assert re.search(rf"\b{re.escape(_camel(name))}\b", declarations), f"{name} ({_camel(name)}) is not in aws-cdk-lib"


# --------------------------------------------------------------------------- Serverless


@pytest.mark.parametrize("case", [c for c in CASES if c[0] == "serverless"], ids=case_id)
def test_serverless_is_plain_yaml_with_a_runtime_lookup(case):
    _, _, create = case
    text = render_cli("serverless", False, create)
    assert "${ssm:" not in text and "${" not in text  # nothing resolved at deploy time, no Serverless variables
    document = yaml.safe_load(text)  # long-form intrinsics only: safe_load must accept it
    [statement] = document["provider"]["iam"]["role"]["statements"]
    assert statement["Effect"] == "Allow" and statement["Action"] == ["secretsmanager:GetSecretValue"]
    env = document["functions"]["chat"]["environment"]["OPENROUTER_SECRET_ARN"]
    if create:
        assert statement["Resource"] == env == {"Ref": "OpenRouterSecret"}
        resources = document["resources"]
        secret = resources["Resources"]["OpenRouterSecret"]
        assert not {"SecretString", "GenerateSecretString"} & set(secret["Properties"])
        # The resources section is plain CloudFormation: it must lint clean as a template of its own.
        assert cfn_lint(json.dumps({"AWSTemplateFormatVersion": "2010-09-09", **resources})) == []
    else:
        assert "resources" not in document
        parts = statement["Resource"]["Fn::Join"][1]
        joined = "".join(p if isinstance(p, str) else f"{{{p['Ref']}}}" for p in parts)
        assert joined == f"arn:{{AWS::Partition}}:secretsmanager:{{AWS::Region}}:{{AWS::AccountId}}:secret:{SECRET}-??????"
        assert env["Fn::Join"][1][-1] == f":secret:{SECRET}"


# --------------------------------------------------------------------------- CDK TypeScript: tsc and synth

# A small app that uses every TypeScript variant the way the snippet's comment says to.
CDK_APP = """\
import * as cdk from "aws-cdk-lib";
import * as ecs from "aws-cdk-lib/aws-ecs";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { addOpenRouterSecret as lambdaImport } from "./lambda-import";
import { addOpenRouterSecret as lambdaCreate } from "./lambda-create";
import { addOpenRouterSecret as ecsImport } from "./ecs-import";
import { addOpenRouterSecret as ecsCreate } from "./ecs-create";

function chatFunction(stack: cdk.Stack): lambda.Function {
  return new lambda.Function(stack, "ChatFunction", {
    runtime: lambda.Runtime.PYTHON_3_12,
    handler: "index.handler",
    code: lambda.Code.fromInline("def handler(event, context):\\n    return {}\\n"),
  });
}

function chatContainer(stack: cdk.Stack): ecs.ContainerDefinition {
  const taskDefinition = new ecs.FargateTaskDefinition(stack, "ChatTaskDefinition");
  return taskDefinition.addContainer("app", {
    image: ecs.ContainerImage.fromRegistry("public.ecr.aws/docker/library/python:3.12-slim"),
  });
}

export function synth(outdir: string): Record<string, unknown> {
  const app = new cdk.App({ outdir });
  const stacks: Record<string, cdk.Stack> = {};
  for (const name of ["LambdaImport", "LambdaCreate", "EcsImport", "EcsCreate"]) {
    stacks[name] = new cdk.Stack(app, name);
  }
  lambdaImport(stacks.LambdaImport, chatFunction(stacks.LambdaImport));
  lambdaCreate(stacks.LambdaCreate, chatFunction(stacks.LambdaCreate));
  ecsImport(stacks.EcsImport, chatContainer(stacks.EcsImport));
  ecsCreate(stacks.EcsCreate, chatContainer(stacks.EcsCreate));
  const assembly = app.synth();
  const templates: Record<string, unknown> = {};
  for (const name of Object.keys(stacks)) {
    templates[name] = assembly.getStackByName(name).template;
  }
  return templates;
}
"""

# Proof that the check bites: misuse of the snippet's API must be a type error.
CDK_MISUSE = """\
import * as cdk from "aws-cdk-lib";
import { addOpenRouterSecret } from "./lambda-import";

const stack = new cdk.Stack(new cdk.App(), "Misuse");
addOpenRouterSecret(stack, "chatFunction");
"""

# Loads the .ts files by transpiling them (tsc has checked the types already), then synthesizes.
SYNTH_RUNNER = """\
const fs = require("fs");
const ts = require("typescript");
require.extensions[".ts"] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, "utf8"), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020, esModuleInterop: true },
    fileName: filename,
  });
  module._compile(outputText, filename);
};
process.stdout.write(JSON.stringify(require("./app.ts").synth(process.argv[2])));
"""


@pytest.fixture(scope="module")
def cdk_ts_project(tmp_path_factory) -> Path:
    """The four TypeScript snippets, rendered through the CLI, beside an app that uses them."""
    if node_toolchain() is None:
        pytest.skip("npm is not installed: cannot type-check or synthesize CDK TypeScript")
    root = tmp_path_factory.mktemp("cdk-ts")
    for ecs in (False, True):
        for create in (False, True):
            name = f"{'ecs' if ecs else 'lambda'}-{'create' if create else 'import'}.ts"
            (root / name).write_text(render_cli("cdk-ts", ecs, create), encoding="utf-8")
    (root / "app.ts").write_text(CDK_APP, encoding="utf-8")
    return root


def test_cdk_ts_type_checks_against_aws_cdk_lib(cdk_ts_project: Path):
    misuse = cdk_ts_project / "misuse" / "misuse.ts"
    misuse.parent.mkdir(exist_ok=True)
    misuse.write_text(CDK_MISUSE.replace("./lambda-import", "../lambda-import"), encoding="utf-8")
    files = sorted(cdk_ts_project.glob("*.ts")) + [misuse]
    result = tsc_check(files)  # one tsc run (about 10 s): the snippets, the app, and a file that must fail
    errors = [line for line in result.stdout.splitlines() if "error TS" in line]
    assert result.returncode != 0 and errors, result.stdout
    assert all(line.startswith(str(misuse.resolve())) for line in errors), result.stdout
    assert len(errors) == 1 and "TS2345" in errors[0], result.stdout  # string is not a lambda.Function


def test_cdk_ts_synthesizes_the_grant_and_the_environment(cdk_ts_project: Path):
    prefix = node_toolchain()
    assert prefix is not None
    link = cdk_ts_project / "node_modules"
    if not link.exists():
        link.symlink_to(prefix / "node_modules", target_is_directory=True)
    (cdk_ts_project / "synth.js").write_text(SYNTH_RUNNER, encoding="utf-8")
    completed = subprocess.run(
        ["node", "synth.js", str(cdk_ts_project / "cdk.out")],
        check=False, cwd=cdk_ts_project, capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    templates = json.loads(completed.stdout)

    for name, template in templates.items():
        errors = [m for m in cfn_lint(json.dumps(template)) if m.startswith("[E")]
        assert errors == [], (name, errors)
        resources = template["Resources"]
        [(policy, statement)] = policy_statements(resources)
        assert "secretsmanager:GetSecretValue" in actions(statement)
        create = name.endswith("Create")
        secrets = [r for r in resources.values() if r["Type"] == "AWS::SecretsManager::Secret"]
        if create:
            [secret] = secrets
            assert secret["Properties"]["Name"] == SECRET
            assert not {"SecretString", "GenerateSecretString"} & set(secret["Properties"])
            assert secret["DeletionPolicy"] == "Retain"
            assert statement["Resource"] == {"Ref": "OpenRouterSecret"}
        else:
            assert secrets == []
            assert statement["Resource"]["Fn::Join"][1][-1] == f":secret:{SECRET}-??????"

        if name.startswith("Lambda"):
            [function] = [r for r in resources.values() if r["Type"] == "AWS::Lambda::Function"]
            role = function["Properties"]["Role"]["Fn::GetAtt"][0]
            assert policy["Properties"]["Roles"] == [{"Ref": role}]  # the function's role
            assert "OPENROUTER_SECRET_ARN" in function["Properties"]["Environment"]["Variables"]
        else:
            [task] = [r for r in resources.values() if r["Type"] == "AWS::ECS::TaskDefinition"]
            role = task["Properties"]["ExecutionRoleArn"]["Fn::GetAtt"][0]
            assert policy["Properties"]["Roles"] == [{"Ref": role}]  # the execution role
            [entry] = task["Properties"]["ContainerDefinitions"][0]["Secrets"]
            assert entry["Name"] == "OPENROUTER_API_KEY"
            assert entry["ValueFrom"]["Fn::Join"][1][-1].endswith(":OPENROUTER_API_KEY::")


# --------------------------------------------------------------------------- refusals


def assert_refused(result, *fragments: str) -> None:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    assert result.stdout == ""


@pytest.mark.parametrize(
    "name",
    ['a"b', "x}}{{", "${AWS::Region}", "../x", "a/../b", "a//b", "/x", "", "x" * (SECRET_NAME_MAX + 1),
     "a'b", "a b", "a\nb", "{{ secret }}", "%{x}", "my-secret"],
    ids=lambda n: repr(n[:20]),
)
@pytest.mark.parametrize("fmt", ["cloudformation", "terraform", "cdk-ts"])
def test_bad_secret_names_are_refused_in_one_line(fmt, name):
    assert_refused(snippet("--format", fmt, "--secret-name", name), "--secret-name")


@pytest.mark.parametrize(
    ("fmt", "ecs", "function"),
    [
        ("cloudformation", False, "Chat-Function"),
        ("cloudformation", True, "Chat_Task"),
        ("cloudformation", False, 'Chat"Fn'),
        ("cloudformation", False, "OpenRouterSecret"),
        ("sam", False, "chat function"),
        ("terraform", False, "1chat"),
        ("terraform", True, 'chat"}'),
        ("terraform", False, "chat.fn"),
        ("cdk-ts", False, "class"),
        ("cdk-ts", False, "chat-fn"),
        ("cdk-ts", True, "x}}{{"),
        ("cdk-python", False, "def"),
        ("cdk-python", True, "chat container"),
        ("cdk-python", False, "${x}"),
        ("serverless", False, "chat:fn"),
        ("serverless", False, ""),
        ("terraform", False, "a" * 65),
    ],
)
def test_bad_function_identifiers_are_refused_in_one_line(fmt, ecs, function):
    args = ["--format", fmt, "--function", function] + (["--ecs"] if ecs else [])
    assert_refused(snippet(*args), "--function")


@pytest.mark.parametrize("env_var", ["1ABC", "A-B", "AWS_REGION", "_HANDLER", "A B", "x}}"])
def test_bad_env_vars_are_refused_in_one_line(env_var):
    assert_refused(snippet("--format", "sam", "--env-var", env_var), "--env-var")


@pytest.mark.parametrize("fmt", sorted(NO_ECS))
def test_ecs_is_refused_where_it_has_no_meaning(fmt):
    assert_refused(snippet("--format", fmt, "--ecs"), "--ecs", fmt)


def test_format_is_required():
    result = runner.invoke(app, ["snippet"])
    assert result.exit_code == 2


# --------------------------------------------------------------------------- the Python API migrate uses


def test_default_secret_name_is_a_valid_name_for_any_project():
    assert default_secret_name("ThinkTank") == "thinktank/openrouter"
    assert default_secret_name("My Project (v2)!") == "my-project-v2/openrouter"
    assert default_secret_name("...") == "app/openrouter"
    assert default_secret_name("") == "app/openrouter"
    assert default_secret_name('x"}}{{${AWS::Region}') == "x-aws-region/openrouter"
    long = default_secret_name("p" * 2000)
    assert len(long) == SECRET_NAME_MAX and long.endswith("/openrouter")
    for project in ("ThinkTank", "My Project (v2)!", "...", "p" * 2000, "été", "a-b-c-d-e-f"):
        validate(SnippetOptions(SnippetFormat.terraform, project=project))  # never refuses its own default


def test_project_defaults_to_the_current_directory(tmp_path, monkeypatch):
    project = tmp_path / "GateHouse"
    project.mkdir()
    monkeypatch.chdir(project)
    result = runner.invoke(app, ["snippet", "--format", "terraform"])
    assert result.exit_code == 0, result.stderr
    assert 'name = "gatehouse/openrouter"' in result.stdout


def test_output_writes_the_file(tmp_path):
    target = tmp_path / "openrouter-secret.yaml"
    result = snippet("--format", "sam", "--output", str(target))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert target.read_text(encoding="utf-8") == render_snippet(SnippetOptions(SnippetFormat.sam, project="ThinkTank"))


def test_file_names_are_distinct_and_match_the_language():
    names = {(fmt, ecs): file_name(fmt, ecs) for fmt, ecs, _ in CASES}
    assert len(set(names.values())) == len(names)
    assert file_name("cdk-ts") == "openrouter-secret.ts"
    assert file_name(SnippetFormat.cdk_python) == "openrouter_secret.py"
    assert file_name("cdk-python", ecs=True)[:-3].isidentifier()  # importable as a module
    assert file_name("cloudformation") == "openrouter-secret.yaml"
    assert file_name("terraform") == "openrouter-secret.tf"
    assert file_name("serverless") == "serverless-openrouter.yml"


def test_validate_fills_defaults():
    resolved = validate(SnippetOptions(SnippetFormat.cdk_ts, ecs=True, project="ThinkTank"))
    assert resolved.secret_name == SECRET
    assert (resolved.env_var, resolved.function) == ("OPENROUTER_API_KEY", "chatContainer")
    with pytest.raises(SnippetError, match="--secret-name"):
        render_snippet(SnippetOptions(SnippetFormat.sam, secret_name="x}}{{"))
    assert issubclass(SnippetError, ValueError)
