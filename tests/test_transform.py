"""Import edits made in place give the bytes libcst's own import visitors give."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor

from bedrock2openrouter.python.transform import add_imports

MODULES = {
    "empty": "",
    "only imports": "import os\nimport boto3\n",
    "docstring": '"""Doc."""\nimport json\n\nx = 1\n',
    "docstring, no imports": '"""Doc."""\nx = 1\n',
    "comment above code": "import json\n# a comment\nx = 1\n",
    "blank line kept": "import json\n\n\ndef f():\n    pass\n",
    "existing from-import": "from _openrouter import openrouter_client\nimport os\n\nclient = openrouter_client()\n",
    "star import": "from _openrouter import *\n\nx = 1\n",
    "aliased": "import functools as ft\nfrom _openrouter import bedrock_converse as bc\n\nx = 1\n",
    "late import is not the head": "x = 1\nimport functools\n",
    "strict flag": "__strict__ = True\nimport os\ny = 2\n",
    "relative": "from . import sibling\nfrom .pkg import thing\n\nz = 3\n",
    "crlf": "import os\r\n\r\nx = 1\r\n",
}
NEEDED = {
    "client": [("_openrouter", "openrouter_client")],
    "compat": [("_openrouter", "openrouter_client"), ("_openrouter", "BedrockRuntimeCompat"),
               ("_openrouter", "bedrock_converse")],
    "functools and two modules": [("functools", None), ("app._openrouter", "openrouter_client"),
                                  ("_openrouter", "bedrock_converse_stream")],
    "relative-looking": [("pkg", "thing"), ("os", None)],
}


def _libcst(code: str, needed) -> str:
    context = CodemodContext()
    for module, obj in needed:
        AddImportsVisitor.add_needed_import(context, module, obj)
    return AddImportsVisitor(context).transform_module(cst.parse_module(code)).code


@pytest.mark.parametrize("code", MODULES.values(), ids=MODULES.keys())
@pytest.mark.parametrize("needed", NEEDED.values(), ids=NEEDED.keys())
def test_add_imports_matches_libcsts_visitor(code: str, needed):
    assert add_imports(cst.parse_module(code), needed).code == _libcst(code, needed)


def test_the_new_lines_go_after_the_opening_imports():
    code = textwrap.dedent('''\
        """Doc."""
        import json
        x = 1
        ''')
    assert add_imports(cst.parse_module(code), [("_openrouter", "openrouter_client")]).code == textwrap.dedent('''\
        """Doc."""
        import json
        from _openrouter import openrouter_client

        x = 1
        ''')
