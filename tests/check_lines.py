"""How much of the engines' code is input checking (issue 10: checks once, at the boundary).

    python tests/check_lines.py        # per file, then the total for scalargrad/ + tensorgrad/

A code line is a line with code on it: docstrings, comments and blank lines
do not count. A check line, by this heuristic, is one of:

- a line of a ``raise`` statement, and the condition of the ``if``/``elif``
  (or the ``else:``) whose body raises;
- a line that calls a function of ``tensorgrad.checks`` (``checks.NAME(...)``).

The same rule applies to every file, ``tensorgrad/checks.py`` included.
"""

import ast
import io
import sys
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("scalargrad", "tensorgrad")
SKIPPED_TOKENS = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                  tokenize.ENCODING, tokenize.ENDMARKER}


def code_lines(source, tree):
    """The numbers of the lines that hold code (not a docstring, comment or blank)."""
    lines = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in SKIPPED_TOKENS:
            lines.update(range(token.start[0], token.end[0] + 1))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                lines -= set(range(body[0].lineno, body[0].end_lineno + 1))
    return lines


def check_lines(tree):
    """The numbers of the lines that check input: raises, the conditions that lead to them, checks.* calls."""
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise):
            lines.update(range(node.lineno, node.end_lineno + 1))
        elif isinstance(node, ast.If):
            if any(isinstance(statement, ast.Raise) for statement in node.body):
                lines.update(range(node.lineno, node.test.end_lineno + 1))
            if node.orelse and any(isinstance(statement, ast.Raise) for statement in node.orelse) \
                    and not isinstance(node.orelse[0], ast.If):
                lines.add(node.orelse[0].lineno - 1)  # the `else:` line
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "checks":
            lines.update(range(node.lineno, node.end_lineno + 1))
    return lines


def count(path):
    """(code lines, check lines) of one file."""
    source = path.read_text()
    tree = ast.parse(source)
    code = code_lines(source, tree)
    return len(code), len(check_lines(tree) & code)


def engine_files():
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


def totals():
    """(code lines, check lines) over scalargrad/ and tensorgrad/."""
    counts = [count(path) for path in engine_files()]
    return sum(c for c, _ in counts), sum(k for _, k in counts)


def main():
    for path in engine_files():
        code, check = count(path)
        print(f"{path.relative_to(ROOT)!s:36} {code:5} code {check:5} check {check / max(code, 1):6.1%}")
    code, check = totals()
    print(f"{'total':36} {code:5} code {check:5} check {check / code:6.1%}")


if __name__ == "__main__":
    sys.exit(main())
