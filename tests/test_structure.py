"""The shape of the code (issue 10): no private names across modules, one name per class, checks counted."""

import ast
import importlib
import inspect
import pkgutil

import check_lines

import tensorgrad


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
    assert private_imports() == set()


def module_name(path):
    parts = list(path.relative_to(check_lines.ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_at_load_time():
    """module → the engine modules it imports when it is loaded (top-level imports, not those inside functions)."""
    graph = {}
    names = {module_name(path) for path in check_lines.engine_files()}
    for path in check_lines.engine_files():
        name, edges = module_name(path), set()
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in check_lines.PACKAGES:
                for alias in node.names:  # a submodule of the module, or a name defined in the module itself
                    edges.add(f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in names else node.module)
            elif isinstance(node, ast.Import):
                edges.update(alias.name for alias in node.names)
        graph[name] = edges
    return {name: {edge for edge in edges if edge in graph and edge != name} for name, edges in graph.items()}


def test_no_import_cycle_between_engine_modules():
    """Dependencies point one way (DESIGN.md): no module imports one that, directly or not, imports it back.

    (Loading ``tensorgrad.x`` loads ``tensorgrad/__init__.py`` first; that implicit step is not an edge,
    only what a file's own import lines name.)
    """
    edges = imports_at_load_time()
    state = {}
    for start in edges:
        stack = [(start, iter(edges[start]))]
        state[start] = "open"
        while stack:
            name, targets = stack[-1]
            target = next(targets, None)
            if target is None:
                state[name] = "done"
                stack.pop()
            elif state.get(target) == "open":
                cycle = [n for n, _ in stack][[n for n, _ in stack].index(target):] + [target]
                raise AssertionError(f"import cycle: {' -> '.join(cycle)}")
            elif target not in state:
                state[target] = "open"
                stack.append((target, iter(edges[target])))


def test_no_engine_demo_or_benchmark_file_is_over_400_lines():
    folders = ("scalargrad", "tensorgrad", "demos", "benchmarks", "exercises")
    long = {
        path.relative_to(check_lines.ROOT).as_posix(): n
        for folder in folders
        for path in (check_lines.ROOT / folder).rglob("*.py")
        if (n := len(path.read_text().splitlines())) > 400
    }
    assert long == {}


def test_no_two_public_classes_of_tensorgrad_share_a_name():
    owners = {}
    for info in pkgutil.walk_packages(tensorgrad.__path__, "tensorgrad."):
        module = importlib.import_module(info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and not name.startswith("_"):
                owners.setdefault(name, set()).add(module.__name__)
    shared = {name: sorted(modules) for name, modules in owners.items() if len(modules) > 1}
    assert shared == {}


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
