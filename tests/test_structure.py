"""The shape of the code (issue 10): no private names across modules, one name per class, checks counted."""

import ast
import importlib
import inspect
import pkgutil

import check_lines

import tensorgrad

# Private names still imported across modules, from files being rewritten elsewhere: each is a debt to pay there.
KNOWN_PRIVATE_IMPORTS = {
    ("scalargrad/functional.py", "scalargrad.value", "_lift_all"),
    ("scalargrad/nn.py", "scalargrad.value", "_lift_all"),
    ("tensorgrad/drawing.py", "tensorgrad.tensor", "_check_versions"),
}


def private_imports():
    """(file, module, name) for every ``from scalargrad…/tensorgrad… import _name`` in the engines."""
    found = set()
    for path in check_lines.engine_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in check_lines.PACKAGES:
                for alias in node.names:
                    if alias.name.startswith("_"):
                        found.add((path.relative_to(check_lines.ROOT).as_posix(), node.module, alias.name))
    return found


def test_no_module_imports_another_modules_private_names():
    assert private_imports() <= KNOWN_PRIVATE_IMPORTS


def test_no_two_public_classes_of_tensorgrad_share_a_name():
    owners = {}
    for info in pkgutil.walk_packages(tensorgrad.__path__, "tensorgrad."):
        module = importlib.import_module(info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and not name.startswith("_"):
                owners.setdefault(name, set()).add(module.__name__)
    shared = {name: sorted(modules) for name, modules in owners.items() if len(modules) > 1}
    assert shared == {}


def test_the_rl_package_keeps_every_file_under_400_lines():
    for path in (check_lines.ROOT / "tensorgrad" / "rl").glob("*.py"):
        assert len(path.read_text().splitlines()) < 400, path.name


def test_the_check_line_counter_counts_raises_their_conditions_and_checks_calls():
    source = '''
def f(x, where):
    """A docstring is not code."""
    # nor is a comment
    x = checks.float_tensor(x, where)
    if x.ndim != 2:
        raise ValueError(f"{where}: "
                         "needs a matrix")
    y = x + 1
    return y
'''
    tree = ast.parse(source)
    code = check_lines.code_lines(source, tree)
    assert sorted(code) == [2, 5, 6, 7, 8, 9, 10]
    assert sorted(check_lines.check_lines(tree) & code) == [5, 6, 7, 8]
