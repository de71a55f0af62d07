"""The hand-written stubs name exactly what the native module defines, and the
package re-exports what it says it does."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import kissmon
from kissmon import _native

STUB = Path(kissmon.__file__).with_name("_native.pyi")


def stub_names() -> tuple[set[str], dict[str, set[str]]]:
    tree = ast.parse(STUB.read_text())
    top: set[str] = set()
    classes: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            top.add(node.name)
            classes[node.name] = {
                item.name if isinstance(item, ast.FunctionDef) else item.target.id  # type: ignore[union-attr]
                for item in node.body
                if isinstance(item, ast.FunctionDef) or (isinstance(item, ast.AnnAssign))
            }
        elif isinstance(node, ast.FunctionDef):
            top.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            top.add(node.target.id)
    return top, classes


def test_stub_module_names_match() -> None:
    top, _ = stub_names()
    runtime = {name for name in vars(_native) if not name.startswith("__")} | {"__version__"}
    assert top == runtime


def test_stub_class_members_match() -> None:
    _, classes = stub_names()
    for name in ("MonitorClient", "Stats"):
        cls = getattr(_native, name)
        runtime = {member for member in vars(cls) if not member.startswith("__")}
        stubbed = {member for member in classes[name] if member != "__new__"}
        assert stubbed == runtime, name


def test_stub_signatures_match() -> None:
    """Parameter names of every stubbed method equal the runtime's text signature."""
    tree = ast.parse(STUB.read_text())
    checked = 0
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef) or node.name != "MonitorClient":
            continue
        for item in node.body:
            if not isinstance(item, ast.FunctionDef) or item.decorator_list or item.name.startswith("_"):
                continue
            stubbed = [a.arg for a in item.args.args + item.args.kwonlyargs][1:]
            runtime = list(inspect.signature(getattr(_native.MonitorClient, item.name)).parameters)[1:]
            assert stubbed == runtime, item.name
            checked += 1
    assert checked >= 10


def test_exceptions_are_value_errors() -> None:
    assert issubclass(kissmon.InvalidArgumentError, ValueError)
    assert issubclass(kissmon.ProtocolError, ValueError)
    assert kissmon.InvalidArgumentError.__module__ == "kissmon"


def test_package_exports() -> None:
    for name in kissmon.__all__:
        assert hasattr(kissmon, name), name
    assert issubclass(kissmon.MonitorClient, _native.MonitorClient)
    assert (Path(kissmon.__file__).parent / "py.typed").exists()


def test_public_methods_have_docstrings() -> None:
    for cls in (kissmon.MonitorClient, kissmon.Stats):
        for name, member in inspect.getmembers(cls):
            if not name.startswith("_") and callable(member):
                assert inspect.getdoc(member), f"{cls.__name__}.{name}"
    assert inspect.getdoc(kissmon.decode_line)
