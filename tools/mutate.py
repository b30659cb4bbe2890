"""Mutation testing for nnlib: does the test suite notice when the code is subtly wrong?

    python tools/mutate.py --list                      # print every mutant, run nothing
    python tools/mutate.py --limit 10                  # a quick try: the first 10 mutants
    python tools/mutate.py --jobs 2 --json /tmp/mutants.json
    python tools/mutate.py --modules optimizers --only optimizers:183:arith
    python tools/mutate.py --modules saving --tests tests/test_saving.py --no-map

Run it with the project's venv (``.venv/bin/python tools/mutate.py``): it needs only the
standard library and the venv's pytest.

What it does. Each target module ``nnlib/<name>.py`` is parsed with ``ast`` and a list of
mutants is made, each one small change of the source:

    arith        + <-> -,  * <-> /,  ** -> *   (also in augmented assignments: += <-> -=, ...)
    compare      < <-> <=,  > <-> >=,  == <-> !=
    constant     an int or float literal n -> n + 1, 0 and -n (2.0 -> 3.0, 0.0, -2.0);
                 True <-> False
    bool-op      and <-> or
    unary-minus  -x -> x
    copy         x.copy() -> x
    delete       an augmented assignment or a call statement -> pass
    negate-if    the condition of an ``if`` (or of ``a if c else b``) -> not (...)

Left alone, because changing them is noise: docstrings and other strings, f-strings (message
text), whole ``raise`` statements (their messages), and ``a if c else b`` that only picks between
two strings. A mutant is named ``module:line:operator`` (``#2``, ``#3`` when one line has several
of the same operator).

How a mutant runs. The repository's nnlib/, tests/ and pyproject.toml are copied once per job
into a temp dir (the mutants are made from that copy, so edits to the working tree meanwhile do
not matter). For each mutant the module is written into the job's copy, the tests run there with
``python -m pytest -x -q -p no:cacheprovider FILES`` and ``PYTHONPATH`` set to the copy (checked:
the copy's nnlib is what gets imported, not the editable install), and the module is restored.
A failing run kills the mutant; so does a run slower than its timeout (10 times the clean run,
at least 60 s). The clean run comes first: if the tests fail without any mutant, it stops there.

Which tests. The pool (``--tests``) is every ``tests/test_*.py`` except the slow or unrelated
ones (browser, book, project, performance, figures, pdf, launch); the book's notebooks never
run. For a mutant of module M the tests run in two steps (MODULE_FOCUS, MODULE_SKIP below): first the few files that
test M directly, alone, since most mutants die there and a small run starts quickly; only if
they pass, the rest of the pool, less the files that never call into M. A test file that the
maps do not name always runs. ``--no-map`` runs the whole pool for every module instead, in one
run. ``-x`` ends each run at the first failure. Two more savings, as a full run is hundreds of
runs: the BLAS-threads test is deselected (``--deselect``; it checks that BLAS is deterministic,
not nnlib's arithmetic, and costs as much as the rest of the pool), and pytest plugins that
tests/*.py never use (nbval, which pyproject's addopts turns on for the notebooks; anyio;
hypothesis's reporting plugin, which @given does not need) are not loaded: seconds per run.

Reading the report. Each module gets: mutants, killed, survived, score (killed / mutants). Every
survivor is listed as ``module:line  operator  original -> mutated  (source line)``. A survivor
is one of two things, and each needs a judgement:

- a gap in the tests: the code can be wrong this way and no test fails. Write the test that
  fails on the mutant (re-run it alone with ``--only ID``);
- an equivalent mutant: the change cannot alter behaviour (``x.copy()`` of an array nobody else
  holds, ``>=`` vs ``>`` where equality cannot happen, a constant that is only a default later
  overwritten). Nothing to do; note why.

``--json PATH`` writes the same report (and every mutant's result) as JSON.
"""
import argparse
import ast
import concurrent.futures
import copy
import json
import os
import pathlib
import queue
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_MODULES = ["layers", "losses", "optimizers", "schedules", "training", "saving"]
# Slow (browser, book build, benchmarks) or about the project rather than nnlib's behaviour.
EXCLUDED_TESTS = {"test_browser.py", "test_book.py", "test_project.py", "test_performance.py",
                  "test_figures.py", "test_pdf.py", "test_launch.py"}
# Checks that two BLAS thread counts print the same digits: about BLAS, not nnlib's arithmetic,
# and two whole training runs in subprocesses, as long as everything else a survivor runs.
DEFAULT_DESELECT = ["tests/test_numerics.py::test_printed_metrics_are_identical_with_one_and_two_blas_threads"]
# Fast files first, so that -x stops early; the slow end-to-end ones last.
TEST_ORDER = ["test_gradients.py", "test_optimizers.py", "test_reference.py", "test_saving.py",
              "test_bad_input.py", "test_properties.py", "test_data.py", "test_numerics.py",
              "test_checkpoints.py", "test_training.py"]
# For each module: the files that test it most directly run first, alone (most mutants die
# there, and a small run starts quickly); only a survivor of those runs the rest of the selected
# files, less the ones that never call into the module. A test file not named here always runs.
# --no-map runs every selected file for every module.
MODULE_FOCUS = {
    "layers": ["test_gradients.py", "test_layers_losses.py"],
    "losses": ["test_gradients.py", "test_layers_losses.py"],
    "optimizers": ["test_optimizers.py", "test_optimizers_defaults.py"],
    "training": ["test_bad_input.py", "test_training.py"],
    "saving": ["test_saving.py", "test_checkpoints.py"],
    "schedules": ["test_schedules.py", "test_weight_decay.py"],
}
MODULE_SKIP = {
    "layers": ["test_data.py"],
    "losses": ["test_data.py", "test_saving.py"],
    "optimizers": ["test_data.py", "test_saving.py", "test_gradients.py"],
    "training": ["test_data.py", "test_saving.py", "test_gradients.py", "test_properties.py"],
    "saving": ["test_data.py", "test_gradients.py", "test_optimizers.py", "test_reference.py",
               "test_properties.py", "test_numerics.py", "test_training.py"],
    "schedules": ["test_data.py", "test_gradients.py", "test_layers_losses.py", "test_surfaces.py"],
}
PYTEST = ["-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-n", "0"]  # -n 0: no xdist workers
# Plugins that tests/*.py never use; each run would spend seconds importing them (nbval alone,
# added by pyproject's addopts for the notebooks, costs more than a small test file).
UNUSED_PLUGINS = ["nbval", "anyio", "hypothesispytest"]


# --- Making mutants ------------------------------------------------------------------------------

ARITH = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.Pow: ast.Mult}
COMPARE = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
           ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}


def _is_text(node):
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str))


def _is_sequence(node):
    """A string, f-string, list or tuple: + on these concatenates, it is not arithmetic."""
    return _is_text(node) or isinstance(node, (ast.List, ast.Tuple))


def _negate(test):
    """``not (test)``, or ``x`` for a test that is ``not x``."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return test.operand
    return ast.UnaryOp(ast.Not(), test)


def _constant_changes(value):
    """The new values for a numeric literal: n + 1, 0, -n (without repeats); True <-> False."""
    if isinstance(value, bool):
        return [not value]
    changes = []
    for new in (value + 1, type(value)(0), -value):
        if new != value and new not in changes:
            changes.append(new)
    return changes


class MutantFinder(ast.NodeVisitor):
    """Walk a module's tree and collect every mutation point.

    A point is (node, operator, make), where ``make(node)`` returns the mutated copy of ``node``
    (an expression or statement that replaces it in the source).
    """

    def __init__(self):
        self.points = []
        self._minus_operands = set()  # constants under a unary minus: -n is already unary-minus

    def add(self, node, operator, make):
        self.points.append((node, operator, make))

    # Skipped subtrees: message text and raise statements.
    def visit_JoinedStr(self, node):
        pass

    def visit_Raise(self, node):
        pass

    def _visit_body(self, body):
        # A docstring is an Expr holding a string: no operator touches it, nothing to skip.
        for stmt in body:
            self.visit(stmt)

    def visit_BinOp(self, node):
        new_op = ARITH.get(type(node.op))
        if new_op is not None and not (_is_sequence(node.left) or _is_sequence(node.right)):
            self.add(node, "arith", lambda n, op=new_op: ast.BinOp(n.left, op(), n.right))
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        new_op = ARITH.get(type(node.op))
        if new_op is not None and type(node.op) is not ast.Pow and not _is_sequence(node.value):
            self.add(node, "arith", lambda n, op=new_op: ast.AugAssign(n.target, op(), n.value))
        self.add(node, "delete", lambda n: ast.Pass())
        self.generic_visit(node)

    def visit_Compare(self, node):
        for i, op in enumerate(node.ops):
            new_op = COMPARE.get(type(op))
            if new_op is not None:
                def make(n, i=i, op=new_op):
                    ops = list(n.ops)
                    ops[i] = op()
                    return ast.Compare(n.left, ops, n.comparators)
                self.add(node, "compare", make)
        self.generic_visit(node)

    def visit_Constant(self, node):
        if isinstance(node.value, (bool, int, float)) and not isinstance(node.value, complex):
            for new in _constant_changes(node.value):
                if id(node) in self._minus_operands and new == -node.value:
                    continue
                self.add(node, "constant", lambda n, v=new: ast.Constant(v))

    def visit_BoolOp(self, node):
        new_op = ast.Or if isinstance(node.op, ast.And) else ast.And
        self.add(node, "bool-op", lambda n, op=new_op: ast.BoolOp(op(), n.values))
        self.generic_visit(node)

    def visit_UnaryOp(self, node):
        if isinstance(node.op, ast.USub):
            self.add(node, "unary-minus", lambda n: n.operand)
            self._minus_operands.add(id(node.operand))
        self.generic_visit(node)

    def visit_Call(self, node):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "copy" and not node.args and not node.keywords:
            self.add(node, "copy", lambda n: n.func.value)
        self.generic_visit(node)

    def visit_Expr(self, node):
        if isinstance(node.value, ast.Call):
            self.add(node, "delete", lambda n: ast.Pass())
        self.generic_visit(node)

    def visit_If(self, node):
        self.add(node.test, "negate-if", _negate)
        self.generic_visit(node)

    def visit_IfExp(self, node):
        if not (_is_text(node.body) and _is_text(node.orelse)):  # choosing message text
            self.add(node.test, "negate-if", _negate)
        self.generic_visit(node)


def _offset(lines, lineno, col):
    """Character offset in the joined source of (1-based line, UTF-8 byte column)."""
    line = lines[lineno - 1]
    return sum(len(l) for l in lines[:lineno - 1]) + len(line.encode()[:col].decode())


def _replace(source, node, text):
    lines = source.splitlines(keepends=True)
    start = _offset(lines, node.lineno, node.col_offset)
    end = _offset(lines, node.end_lineno, node.end_col_offset)
    return source[:start] + text + source[end:]


def _short(text, width=80):
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 3] + "..."


class _Span:
    """Source positions from the start of ``first`` to the end of ``last``."""

    def __init__(self, first, last):
        self.lineno, self.col_offset = first.lineno, first.col_offset
        self.end_lineno, self.end_col_offset = last.end_lineno, last.end_col_offset


def _context(node, parents):
    """What to show for a mutant of ``node``: the node, or for a short one (``1``, ``x > 0``)
    its nearest enclosing expression of a readable length (``axis=1`` -> ``x.max(axis=1)``)."""
    shown = node
    while len(ast.unparse(shown) if isinstance(shown, ast.AST) else "") < 16:
        parent = parents.get(shown)
        if isinstance(parent, ast.arguments):  # a default value: show "name=value"
            args = parent.posonlyargs + parent.args
            pairs = list(zip(args[len(args) - len(parent.defaults):], parent.defaults))
            pairs += [(a, d) for a, d in zip(parent.kwonlyargs, parent.kw_defaults) if d is not None]
            return next((_Span(a, d) for a, d in pairs if d is shown), shown)
        simple = isinstance(parent, (ast.Assign, ast.AugAssign, ast.Return)) and parent.lineno == parent.end_lineno
        if not (isinstance(parent, (ast.expr, ast.keyword)) or simple) or len(ast.unparse(parent)) > 80:
            break
        shown = parent
    return shown


def find_mutants(module, source):
    """Every mutant of ``source`` (the text of nnlib/<module>.py), in source order."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    finder = MutantFinder()
    finder.visit(tree)
    lines = source.splitlines(keepends=True)
    mutants, seen = [], {}
    points = sorted(finder.points, key=lambda p: (p[0].lineno, p[0].col_offset))
    for node, operator, make in points:
        new_node = make(copy.deepcopy(node))
        text = ast.unparse(new_node)
        if isinstance(node, ast.expr):
            text = "(" + text + ")"  # parentheses keep the precedence it had
        mutated_source = _replace(source, node, text)
        ast.parse(mutated_source)  # a mutant that does not compile would be a bug here
        # The shown text: the same span of the source before and after the change.
        shown = _context(node, parents)
        start = _offset(lines, shown.lineno, shown.col_offset)
        end = _offset(lines, shown.end_lineno, shown.end_col_offset)
        shown_source = _replace(source, node, ast.unparse(new_node))  # the same, no parentheses
        growth = len(shown_source) - len(source)
        base = f"{module}:{node.lineno}:{operator}"
        seen[base] = seen.get(base, 0) + 1
        mutants.append({
            "id": base if seen[base] == 1 else f"{base}#{seen[base]}",
            "module": module,
            "line": node.lineno,
            "operator": operator,
            "original": _short(source[start:end]),
            "mutated": _short(shown_source[start:end + growth]),
            "source_line": lines[node.lineno - 1].strip(),
            "source": mutated_source,
        })
    return mutants


# --- Running them --------------------------------------------------------------------------------

def make_workspace(parent, i):
    """A scratch copy of the repository's nnlib/, tests/ and pyproject.toml, without bytecode."""
    ws = pathlib.Path(parent) / f"job{i}"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis")
    for name in ("nnlib", "tests"):
        shutil.copytree(ROOT / name, ws / name, ignore=ignore)
    if (ROOT / "pyproject.toml").exists():
        shutil.copy2(ROOT / "pyproject.toml", ws / "pyproject.toml")
    return ws


def environment(ws):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ws)] + [p for p in [env.get("PYTHONPATH")] if p])
    # No bytecode: a mutant of the same size written within the same second as the last one
    # could otherwise be run from the stale .pyc.
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["MPLBACKEND"] = "Agg"
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")  # parallel jobs should not fight over the cores
    return env


def pytest_options(ws):
    """The fixed options: -x -q, no cache, the unused plugins off (and their addopts dropped)."""
    options = list(PYTEST)
    for plugin in UNUSED_PLUGINS:
        options += ["-p", f"no:{plugin}"]
    pyproject = ws / "pyproject.toml"
    if pyproject.exists():
        addopts = tomllib.loads(pyproject.read_text()).get("tool", {}).get("pytest", {}) \
            .get("ini_options", {}).get("addopts", "")
        addopts = addopts if isinstance(addopts, list) else shlex.split(addopts)
        kept = [o for o in addopts if not any(o.startswith(f"--{p}") for p in UNUSED_PLUGINS)]
        if kept != addopts:
            options += ["-o", f"addopts={shlex.join(kept)}"]
    return options


def run_tests(ws, tests, deselect, timeout):
    """Run pytest on ``tests`` in ``ws``: ("passed" | "failed" | "timeout", seconds, output)."""
    command = [sys.executable, *pytest_options(ws), *tests]
    command += [f"--deselect={node}" for node in deselect if node.split("::")[0] in tests]
    start = time.monotonic()
    proc = subprocess.Popen(command, cwd=ws, env=environment(ws), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # pytest and any process a test started
        output, _ = proc.communicate()
        return "timeout", time.monotonic() - start, output
    return ("passed" if proc.returncode == 0 else "failed"), time.monotonic() - start, output


def check_import(ws):
    out = subprocess.run([sys.executable, "-c", "import nnlib; print(nnlib.__file__)"], cwd=ws,
                         env=environment(ws), capture_output=True, text=True, check=True).stdout
    if not pathlib.Path(out.strip()).resolve().is_relative_to(pathlib.Path(ws).resolve()):
        sys.exit(f"the scratch copy is not what gets imported: nnlib comes from {out.strip()}")


def test_plan(module, tests, use_map):
    """The runs for a mutant of ``module``: [focused files, the rest] (one run without the map)."""
    name = lambda t: pathlib.Path(t).name
    if not use_map:
        focus = [t for t in tests if name(t) in MODULE_FOCUS.get(module, [])]
        return [focus + [t for t in tests if t not in focus]]
    focus = [t for t in tests if name(t) in MODULE_FOCUS.get(module, [])]
    rest = [t for t in tests if t not in focus and name(t) not in MODULE_SKIP.get(module, [])]
    return [run for run in (focus, rest) if run]


def run_mutants(mutants, originals, workspaces, plans, deselect):
    """Run every mutant; fill in each one's status and return {module: clean-run seconds}.

    ``plans`` is {module: [files of the first run, files of the second run]}; the second runs
    only when the first passes.
    """
    ws = workspaces[0]
    check_import(ws)
    # The clean run: the tests must pass without a mutant, and its time sets the timeouts.
    timeouts, clean = {}, {}
    for module in sorted({m["module"] for m in mutants}):
        timeouts[module] = []
        for tests in plans[module]:
            status, seconds, output = run_tests(ws, tests, deselect, timeout=3600)
            if status != "passed":
                sys.exit(f"the tests fail without any mutant; fix that first:\n{output[-3000:]}")
            timeouts[module].append(max(60.0, 10 * seconds))
            clean[module] = round(clean.get(module, 0) + seconds, 1)
        print(f"clean run for {module}: {clean[module]:.1f} s in {len(plans[module])} run(s); "
              f"files: {' | '.join(' '.join(pathlib.Path(t).stem for t in run) for run in plans[module])}",
              file=sys.stderr, flush=True)
    free = queue.Queue()
    for ws in workspaces:
        free.put(ws)
    lock, done = threading.Lock(), [0]

    def run_one(mutant):
        ws = free.get()
        module = mutant["module"]
        path = ws / "nnlib" / f"{module}.py"
        total, status = 0.0, "passed"
        try:
            path.write_text(mutant["source"])
            for tests, timeout in zip(plans[module], timeouts[module]):
                status, seconds, output = run_tests(ws, tests, deselect, timeout)
                total += seconds
                if status != "passed":
                    break
        finally:
            path.write_text(originals[module])  # restore before the copy is reused
            free.put(ws)
        mutant["status"] = "survived" if status == "passed" else "killed"
        mutant["timeout"] = status == "timeout"
        mutant["seconds"] = round(total, 1)
        if status == "failed":  # the first failing test, for the curious
            failed = [l for l in output.splitlines() if l.startswith(("FAILED", "ERROR"))]
            mutant["killed_by"] = (failed or output.strip().splitlines()[-1:] or [""])[0]
        with lock:
            done[0] += 1
            print(f"[{done[0]}/{len(mutants)}] {mutant['id']}: {mutant['status']}"
                  f"{' (timeout)' if mutant['timeout'] else ''} in {total:.1f} s",
                  file=sys.stderr, flush=True)

    with concurrent.futures.ThreadPoolExecutor(len(workspaces)) as pool:
        list(pool.map(run_one, mutants))
    return clean


# --- Reporting -----------------------------------------------------------------------------------

def summarize(mutants, modules):
    summary = {}
    for module in modules:
        mine = [m for m in mutants if m["module"] == module]
        killed = sum(m["status"] == "killed" for m in mine)
        summary[module] = {"mutants": len(mine), "killed": killed, "survived": len(mine) - killed,
                           "timeouts": sum(m["timeout"] for m in mine),
                           "score": round(100 * killed / len(mine), 1) if mine else None}
    return summary


def survivor_line(m):
    return (f"{m['module']}:{m['line']}  {m['operator']}  {m['original']} \u2192 {m['mutated']}  "
            f"({m['source_line']})")


def report(mutants, modules, seconds):
    summary = summarize(mutants, modules)
    lines = [f"{'module':<12}{'mutants':>8}{'killed':>8}{'survived':>9}{'score':>8}"]
    for module, s in summary.items():
        score = "-" if s["score"] is None else f"{s['score']:.1f}%"
        lines.append(f"{module:<12}{s['mutants']:>8}{s['killed']:>8}{s['survived']:>9}{score:>8}")
    total = len(mutants)
    killed = sum(m["status"] == "killed" for m in mutants)
    lines.append(f"{'total':<12}{total:>8}{killed:>8}{total - killed:>9}"
                 f"{(f'{100 * killed / total:.1f}%' if total else '-'):>8}")
    lines.append(f"run time: {seconds / 60:.1f} min")
    survivors = [m for m in mutants if m["status"] == "survived"]
    lines.append(f"\nsurvivors ({len(survivors)}): each is a missing test or an equivalent mutant")
    lines += [f"  {survivor_line(m)}" for m in survivors]
    return "\n".join(lines), summary


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modules", nargs="+", default=DEFAULT_MODULES, metavar="NAME",
                        help="nnlib modules to mutate (default: %(default)s)")
    default_tests = sorted((p.relative_to(ROOT).as_posix() for p in (ROOT / "tests").glob("test_*.py")
                            if p.name not in EXCLUDED_TESTS),
                           key=lambda t: (TEST_ORDER.index(pathlib.Path(t).name)
                                          if pathlib.Path(t).name in TEST_ORDER else len(TEST_ORDER), t))
    parser.add_argument("--tests", nargs="+", default=default_tests, metavar="FILE",
                        help="test files to run, relative to the repository "
                             f"(default: all of tests/ except {', '.join(sorted(EXCLUDED_TESTS))})")
    parser.add_argument("--deselect", nargs="*", default=DEFAULT_DESELECT, metavar="NODEID",
                        help="tests to leave out (default: the BLAS-threads test; none: --deselect)")
    parser.add_argument("--no-map", action="store_true",
                        help="run every selected file for every module, in one run per mutant")
    parser.add_argument("--jobs", type=int, default=2, help="mutants run in parallel (default 2)")
    parser.add_argument("--json", metavar="PATH", help="also write the report as JSON here")
    parser.add_argument("--limit", type=int, help="run only the first N mutants (a quick try)")
    parser.add_argument("--only", nargs="+", metavar="ID", help="run only these mutants (ids from --list)")
    parser.add_argument("--list", action="store_true", help="print the mutants and run nothing")
    args = parser.parse_args(argv)

    for module in args.modules:
        if not (ROOT / "nnlib" / f"{module}.py").is_file():
            parser.error(f"no module nnlib/{module}.py")
    # Copy the repository first and make the mutants from the copy: nnlib may change meanwhile.
    start = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="nnlib-mutants-")
    try:
        jobs = 1 if args.list else max(1, args.jobs)
        workspaces = [make_workspace(tmp, i) for i in range(jobs)]
        originals = {m: (workspaces[0] / "nnlib" / f"{m}.py").read_text() for m in args.modules}
        mutants = [mutant for m in args.modules for mutant in find_mutants(m, originals[m])]
        if args.only:
            unknown = set(args.only) - {m["id"] for m in mutants}
            if unknown:
                parser.error(f"unknown mutant ids: {', '.join(sorted(unknown))}")
            mutants = [m for m in mutants if m["id"] in args.only]
        if args.limit is not None:
            mutants = mutants[:args.limit]
        plans = {m: test_plan(m, args.tests, not args.no_map) for m in args.modules}
        if args.list:
            for module, plan in plans.items():
                print(f"tests for {module}: " + " | then | ".join(" ".join(run) for run in plan),
                      file=sys.stderr)
            for m in mutants:
                print(f"{m['id']:<32} {m['original']} \u2192 {m['mutated']}")
            print(f"{len(mutants)} mutants", file=sys.stderr)
            return 0
        if not mutants:
            parser.error("no mutants to run")
        clean = run_mutants(mutants, originals, workspaces, plans, args.deselect)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    seconds = time.monotonic() - start
    modules = [m for m in args.modules if any(x["module"] == m for x in mutants)]
    text, summary = report(mutants, modules, seconds)
    print(text)
    if args.json:
        result = {"tests": plans, "deselected": args.deselect, "jobs": args.jobs, "seconds": round(seconds, 1),
                  "clean_run_seconds": clean, "modules": summary,
                  "mutants": [{k: v for k, v in m.items() if k != "source"} for m in mutants]}
        pathlib.Path(args.json).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
