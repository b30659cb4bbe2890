"""Regenerate constraints.txt: the exact version of every package `pip install -r requirements.txt` installs.

    .venv/bin/python tools/refresh_constraints.py          # the newest releases
    .venv/bin/python tools/refresh_constraints.py -c <(.venv/bin/pip freeze --exclude-editable)
                                                           # hold packages at the venv's versions

It makes a fresh virtual environment in a temporary folder with the Python that runs it, asks pip
there what a fresh install of requirements.txt would install (`pip install --dry-run
--ignore-installed --report`: it reads metadata and installs nothing), and writes every package
but nnlib itself as `name==version` to constraints.txt. Both README set-up commands and CI install
with `-c constraints.txt`; .github/workflows/drift.yml installs without it, to hear of new releases.

A pinned release may not support the oldest Python that pyproject.toml's requires-python accepts
(3.10.0 for ">=3.10"). For each such package the script resolves again for that Python (pip's
--python-version, holding every other package at its pin) and writes both versions behind
markers, e.g.

    numpy==2.2.6; python_full_version < "3.11"
    numpy==2.4.6; python_full_version >= "3.11"

The tests workflow then installs the pins and runs every test on each Python it lists. After a
refresh: reinstall the venv with the new file, re-execute the notebooks
(tools/execute_notebooks.py), run the tests, and commit constraints.txt with any notebook outputs
that changed.
"""
import argparse
import json
import pathlib
import re
import subprocess
import sys
import tempfile
import tomllib

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = pathlib.Path(__file__).resolve().parent.parent
HEADER = """\
# Every package `pip install -r requirements.txt` installs, at the version the book's stored
# outputs were made and tested with; the README's set-up commands and CI install with
# `-c constraints.txt`. Packages needed only on macOS or Windows are not pinned.
# Do not edit by hand; regenerate with `.venv/bin/python tools/refresh_constraints.py`.
# Made with {python} on {platform}{held}.
"""
PYPI_ONLY = "PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS= PIP_EXTRA_INDEX_URL="


def resolve(pip, requirements, constraints, workdir, name, extra=()):
    """What pip would install: {canonical name: (name, version, requires_python, requires_dist)}."""
    report = workdir / f"{name}.json"
    command = [*pip, "install", "--dry-run", "--ignore-installed", "--quiet", "--report", str(report),
               "-r", str(requirements), *extra]
    for c in constraints:
        command += ["-c", str(c)]
    subprocess.run(command, check=True, cwd=ROOT)
    resolved = {}
    for item in json.loads(report.read_text())["install"]:
        m = item["metadata"]
        resolved[canonicalize_name(m["name"])] = (m["name"], m["version"], m.get("requires_python"),
                                                  m.get("requires_dist") or [])
    resolved.pop("nnlib", None)
    return resolved


def oldest_python():
    """The oldest Python pyproject.toml accepts, as "3.10.0"."""
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    match = re.fullmatch(r">=\s*(\d+)\.(\d+)(?:\.(\d+))?", requires.strip())
    if not match:
        sys.exit(f"requires-python {requires!r}: expected the form '>=3.X'")
    return f"{match[1]}.{match[2]}.{match[3] or 0}"


def bound(name, requires_python):
    """The version from which a release's Requires-Python (a single '>=X') holds."""
    match = re.fullmatch(r">=([\d.]+)", (requires_python or "").replace(" ", ""))
    if not match:
        sys.exit(f"{name}: Requires-Python {requires_python!r} excludes the oldest supported Python "
                 "and is not of the form '>=X'; pin it by hand")
    return match[1]


def resolve_for(pip, python, pins, excluded, workdir):
    """Resolve for an older Python, every package but `excluded` held at its pin.

    pip takes Requires-Python and wheel tags from --python-version but evaluates markers for the
    Python running it, so it leaves out dependencies such as `tomli; python_version < "3.11"`;
    they are added as plain requirements until none is missing.
    """
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    base = [l for l in (ROOT / "requirements.txt").read_text().splitlines() if not l.startswith("-e")]
    base += project["dependencies"]
    held = workdir / "held-for-older.txt"
    held.write_text("\n".join(f"{p[0]}=={p[1]}" for k, p in pins.items() if k not in excluded))
    there = {"python_version": ".".join(python.split(".")[:2]), "python_full_version": python, "extra": ""}
    added = []
    for _ in range(10):
        requirements = workdir / "requirements-for-older.txt"
        requirements.write_text("\n".join(base + added))
        resolved = resolve(pip, requirements, [held], workdir, "older",
                           ["--only-binary=:all:", "--python-version", python, "--target", str(workdir / "t")])
        missing = set()
        for _, _, _, requires_dist in resolved.values():
            for requirement in map(Requirement, requires_dist):
                marker = requirement.marker
                if (marker and marker.evaluate(there) and not marker.evaluate({"extra": ""})
                        and canonicalize_name(requirement.name) not in resolved):
                    requirement.marker = None
                    missing.add(str(requirement))
        if not missing:
            break
        added += sorted(missing)
    wrong = [f"{p[0]} {p[1]} ({p[2]})" for p in resolved.values() if p[2] and python not in SpecifierSet(p[2])]
    if wrong:  # pip trusts an index's data-requires-python, and some mirrors leave it out
        sys.exit(f"pip chose releases for Python {python} that do not support it: {', '.join(wrong)}. "
                 f"Run the same command again with PyPI alone, after `{PYPI_ONLY}`")
    return resolved


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-c", "--constraint", action="append", default=[], type=pathlib.Path,
                        help="also obey this constraints file (e.g. a venv's `pip freeze`)")
    parser.add_argument("-o", "--output", default=ROOT / "constraints.txt", type=pathlib.Path)
    args = parser.parse_args(argv)
    held = [c.read_text() for c in args.constraint]  # now: a <(...) can be read only once

    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        constraints = []
        for i, text in enumerate(held):
            constraints.append(tmp / f"held{i}.txt")
            constraints[-1].write_text("\n".join(l for l in text.splitlines() if not l.startswith(("-e", "#"))))
        subprocess.run([sys.executable, "-m", "venv", str(tmp / "venv")], check=True)
        pip = [str(tmp / "venv" / "bin" / "python"), "-m", "pip"]
        pins = resolve(pip, ROOT / "requirements.txt", constraints, tmp, "main")

        # Releases that do not install on the oldest supported Python get a second pin for it.
        oldest = oldest_python()
        excluded = {key for key, pin in pins.items() if pin[2] and oldest not in SpecifierSet(pin[2])}
        markers = {}
        if excluded:
            older = resolve_for(pip, oldest, pins, excluded, tmp)
            for key in sorted(excluded):
                name, version, requires_python, _ = pins[key]
                at = bound(name, requires_python)
                if key not in older:  # nothing needs it there
                    markers[key] = [f'{name}=={version}; python_full_version >= "{at}"']
                elif older[key][1] != version:
                    markers[key] = [f'{older[key][0]}=={older[key][1]}; python_full_version < "{at}"',
                                    f'{name}=={version}; python_full_version >= "{at}"']
            for key, pin in older.items():  # needed only there
                pins.setdefault(key, pin)

    lines = []
    for key in sorted(pins):
        lines += markers.get(key, [f"{pins[key][0]}=={pins[key][1]}"])
    python = f"Python {sys.version.split()[0]}"
    how = ", packages held at the versions given with -c" if held else ", the newest releases"
    args.output.write_text(HEADER.format(python=python, platform=sys.platform, held=how) + "\n".join(lines) + "\n")
    print(f"wrote {len(pins)} packages to {args.output}"
          + (f"; a second pin for Python {oldest} for {len(markers)}: {', '.join(sorted(markers))}" if markers else ""))


if __name__ == "__main__":
    main(sys.argv[1:])
