"""Run a chapter in the book's JupyterLite site (Pyodide in headless Chromium) and check its outputs.

    .venv/bin/python tools/check_lite.py                         # online: a whole chapter
    .venv/bin/python tools/check_lite.py --offline               # no network: as far as it gets

Build the book first (the README's build command puts the site in _build/html/lite/).

**Online** (.github/workflows/jupyterlite.yml runs it): serves _build/html on 127.0.0.1, opens the
chapter (default book/03_layers.ipynb) through the JupyterLite button of its page's launch menu,
runs every code cell in the in-browser kernel, one after the other, and compares what each prints
(its stdout and the value its last line shows) with the outputs stored in the notebook: the same
text, and every number equal within the rounding of its printed digits (--ulps). Figures are not
compared. Pyodide and its compiled packages (numpy, scipy, scikit-learn, matplotlib) come from
Pyodide's CDN, as they do for a reader, and may be other releases than constraints.txt's.

**Offline** (`--offline`; tests/test_launch.py runs the same check): no request may leave the
machine. Pyodide's CDN cannot be reached, so this script stands in for what the kernel needs of it
to start:
Pyodide's core from the npm package `pyodide` (the version jupyterlite-pyodide-kernel loads), and
the pure-Python wheels the kernel installs at start-up (micropip, IPython and its dependencies,
jedi; comm, which comes from PyPI) from PyPI, downloaded once with npm and pip into
_build/lite-offline/ and served in place of the CDN and PyPI. Compiled packages (numpy...) are
built by Pyodide and published only on its CDN: their requests are blocked and reported. It then
checks, step by step, that the chapter opens from its launch menu, that the kernel starts, that
the chapter's install cell fetches nnlib's wheel from the site, that the wheel installs, and how
far `import nnlib` gets.

Exit status 0 when every check passed; the report says what was checked.
"""
import argparse
import contextlib
import functools
import hashlib
import http.server
import json
import pathlib
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
OFFLINE_CACHE = ROOT / "_build" / "lite-offline"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
# What the Pyodide kernel installs when it starts (jupyterlite-pyodide-kernel's worker: micropip,
# then ipykernel, comm, pyodide-kernel, jedi, ipython through piplite).
KERNEL_PACKAGES = ["micropip", "ipykernel", "comm", "pyodide-kernel", "jedi", "ipython"]
FAKE_FILES = "https://files.pythonhosted.org/offline/"
PYPI_SIMPLE = "https://pypi.org/simple/"
MIME = {".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm",
        ".json": "application/json", ".zip": "application/zip", ".whl": "application/zip"}


def chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def pyodide_cdn():
    """The URL prefix the site's kernel loads Pyodide and its packages from (".../full/")."""
    from jupyterlite_pyodide_kernel.constants import PYODIDE_CDN_URL, PYODIDE_VERSION
    return PYODIDE_CDN_URL.rstrip("/") + "/", PYODIDE_VERSION


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


# --- serving the built book ---------------------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **MIME}

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(directory):
    """Serve `directory` on 127.0.0.1; yield its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def launch_link(html, chapter):
    """The JupyterLite link in the launch menu of the chapter's page, relative to the site's root."""
    page = pathlib.PurePosixPath(chapter).with_suffix(".html")
    text = (pathlib.Path(html) / page).read_text()
    links = re.findall(r'href="([^"]*\?path=[^"]*)"[^>]*title="Launch via JupyterLite"', text)
    links += [h for h in re.findall(r'href="([^"]*lite/[^"]*\?path=[^"]*)"', text) if h not in links]
    if not links:
        raise LookupError(f"{page}: no JupyterLite button in the launch menu")
    resolved = urllib.parse.urljoin(f"http://site/{page}", links[0].replace("&amp;", "&"))
    return resolved.removeprefix("http://site/")


def served_notebook(html, link):
    """The file the site serves for the notebook a launch link opens (lite/files/<path>)."""
    app, _, query = link.partition("?")
    lite_root = app.split("/lab/")[0]
    path = urllib.parse.parse_qs(query)["path"][0]
    return pathlib.Path(html) / lite_root / "files" / path


# --- offline: a stand-in for Pyodide's CDN and for PyPI -----------------------------------------


def _run(command, **kwargs):
    return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)


def prepare_offline(cache=OFFLINE_CACHE, site=HTML / "lite"):
    """Fetch, once, what the kernel loads from outside when it starts; return how to serve it.

    Returns {"cdn": prefix, "files": {url: path}, "simple": {name: PEP 691 JSON}, "compiled":
    [names of the lock's packages that only Pyodide's CDN has]}.
    """
    cdn, version = pyodide_cdn()
    folder = pathlib.Path(cache) / f"pyodide-{version}"
    core = folder / "core"
    wheels = folder / "wheels"
    if not (core / "pyodide.mjs").exists():  # Pyodide's runtime, from the npm registry
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is needed once, to fetch Pyodide's runtime (npm package 'pyodide')")
        with tempfile.TemporaryDirectory() as tmp:
            _run([npm, "pack", f"pyodide@{version}", "--pack-destination", tmp], cwd=tmp)
            (tarball,) = pathlib.Path(tmp).glob("pyodide-*.tgz")
            with tarfile.open(tarball) as archive:
                try:
                    archive.extractall(tmp, filter="data")
                except TypeError:  # a Python from before extraction filters (3.10.11 and older)
                    archive.extractall(tmp)
            shutil.rmtree(core, ignore_errors=True)
            shutil.copytree(pathlib.Path(tmp) / "package", core)
    lock = json.loads((core / "pyodide-lock.json").read_text())
    packages = {canonical(name): info for name, info in lock["packages"].items()}  # the same dicts as the lock's

    # The piplite wheels the site bundles (the kernel's own, and nnlib's) and what they require.
    bundled = {}
    for index in sorted(pathlib.Path(site).rglob("pypi/all.json")):
        for name, project in json.loads(index.read_text()).items():
            for release in project["releases"].values():
                for artifact in release:
                    bundled[canonical(name)] = index.parent / artifact["url"].lstrip("./")
    needed, queue, from_pypi = set(), list(KERNEL_PACKAGES), set()
    while queue:
        name = canonical(queue.pop())
        if name in needed:
            continue
        needed.add(name)
        if name in bundled:
            queue += _requires(bundled[name])
        elif name in packages:
            queue += packages[name]["depends"]
        else:
            from_pypi.add(name)
    from_lock = sorted(n for n in needed if n not in bundled and n in packages)
    compiled = sorted(n for n, info in packages.items() if not info["file_name"].endswith("-none-any.whl"))
    not_pure = [n for n in from_lock if n in compiled]
    if not_pure:
        raise RuntimeError(f"the kernel needs compiled packages only Pyodide's CDN has: {not_pure}")

    # Their wheels from PyPI, at the lock's versions (Pyodide repackages them, so the lock file
    # served here carries these files' names and hashes).
    wheels.mkdir(parents=True, exist_ok=True)
    wanted = [f"{packages[n]['name']}=={packages[n]['version']}" for n in from_lock] + sorted(from_pypi)
    have = {canonical(w.name.split("-")[0]) for w in wheels.glob("*.whl")}
    missing = [spec for spec in wanted if canonical(re.split("[=<>]", spec)[0]) not in have]
    if missing:
        python = ".".join(lock["info"]["python"].split(".")[:2])
        _run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
              "--python-version", python, "--dest", str(wheels), *missing])
    files, simple = {}, {}
    by_name = {canonical(w.name.split("-")[0]): w for w in wheels.glob("*.whl")}
    for name in from_lock:
        wheel = by_name[name]
        packages[name]["file_name"] = wheel.name
        packages[name]["sha256"] = hashlib.sha256(wheel.read_bytes()).hexdigest()
        files[cdn + wheel.name] = wheel
    for name in sorted(from_pypi):
        wheel = by_name[name]
        files[FAKE_FILES + wheel.name] = wheel
        simple[name] = {"meta": {"api-version": "1.1"}, "name": name, "versions": [wheel.name.split("-")[1]],
                        "files": [{"filename": wheel.name, "url": FAKE_FILES + wheel.name,
                                   "hashes": {"sha256": hashlib.sha256(wheel.read_bytes()).hexdigest()}}]}
    patched = folder / "pyodide-lock.json"
    patched.write_text(json.dumps(lock))
    for path in core.iterdir():
        files.setdefault(cdn + path.name, path)
    files[cdn + "pyodide-lock.json"] = patched
    return {"cdn": cdn, "files": files, "simple": simple, "compiled": compiled,
            "from_lock": from_lock, "from_pypi": sorted(from_pypi)}


def _requires(wheel):
    import zipfile
    with zipfile.ZipFile(wheel) as archive:
        (metadata,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        lines = archive.read(metadata).decode().splitlines()
    return [re.split(r"[\s;<>=!~\[(]", line.split(":", 1)[1].strip())[0]
            for line in lines if line.startswith("Requires-Dist:") and "extra ==" not in line]


# --- the browser ---------------------------------------------------------------------------------


class Lite:
    """Headless Chromium on the served site; `offline` (prepare_offline's result) or online."""

    def __init__(self, playwright, base, offline=None, profile=None):
        self.base, self.offline = base, offline
        self.requests, self.blocked, self.console = [], [], []
        self._profile = tempfile.TemporaryDirectory(prefix="lite-chromium-")
        self.context = playwright.chromium.launch_persistent_context(
            profile or self._profile.name, executable_path=chromium(), headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 900})
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))
        self.page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))

    def _route(self, route):
        url = route.request.url
        self.requests.append(url)
        if url.startswith(self.base) and url.split("?")[0].endswith("/jupyter-lite.json"):
            # Let this script reach the JupyterLab application (window.jupyterapp).
            response = route.fetch()
            config = response.json()
            config.setdefault("jupyter-config-data", {})["exposeAppInBrowser"] = "true"
            return route.fulfill(response=response, json=config)
        if url.startswith(self.base) or url.startswith(("data:", "blob:")):
            return route.continue_()
        if self.offline is None:
            return route.continue_()
        plain = url.split("?")[0].split("#")[0]
        if plain in self.offline["files"]:
            path = self.offline["files"][plain]
            return route.fulfill(path=str(path), headers={"access-control-allow-origin": "*"},
                                 content_type=MIME.get(pathlib.Path(path).suffix, "application/octet-stream"))
        if plain.startswith(PYPI_SIMPLE):
            name = canonical(plain.removeprefix(PYPI_SIMPLE).strip("/"))
            if name in self.offline["simple"]:
                return route.fulfill(json=self.offline["simple"][name], content_type="application/vnd.pypi.simple.v1+json",
                                     headers={"access-control-allow-origin": "*"})
        self.blocked.append(url)
        return route.abort("internetdisconnected")

    def close(self, screenshot=None):
        if screenshot:
            with contextlib.suppress(Exception):
                self.page.screenshot(path=str(screenshot))
        self.context.close()
        self._profile.cleanup()

    def open(self, link, timeout=600):
        """Open a notebook through its launch link; wait until it shows and its kernel is idle."""
        path = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["path"][0]
        self.page.goto(self.base + link, wait_until="load", timeout=timeout * 1000)
        self.page.wait_for_function(
            """(path) => window.jupyterapp && window.jupyterapp.shell.currentWidget
                         && window.jupyterapp.shell.currentWidget.context
                         && window.jupyterapp.shell.currentWidget.context.path === path""",
            arg=path, timeout=timeout * 1000, polling=500)
        return path

    def kernel_ready(self, timeout=600):
        """Wait for the notebook's kernel to start; return its name and its language_info."""
        return self.page.evaluate("""async (timeout) => {
            const panel = window.jupyterapp.shell.currentWidget;
            const deadline = Date.now() + timeout * 1000;
            await panel.sessionContext.ready;
            let kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
            while (!kernel && Date.now() < deadline) {
                await new Promise(r => setTimeout(r, 500));
                kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
            }
            if (!kernel) return {error: 'no kernel'};
            const info = await Promise.race([kernel.info,
                new Promise((_, reject) => setTimeout(() => reject(new Error('kernel did not start')), timeout * 1000))]);
            return {name: kernel.name, language_info: info.language_info, status: kernel.status};
        }""", timeout)

    def execute(self, code, timeout=600):
        """Run code in the notebook's kernel; return {"status", "outputs", "seconds"}."""
        return self.page.evaluate("""async ([code, timeout]) => {
            const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
            const outputs = [];
            const start = performance.now();
            const future = kernel.requestExecute({code, stop_on_error: true, store_history: true});
            future.onIOPub = (msg) => {
                const type = msg.header.msg_type;
                if (['stream', 'execute_result', 'display_data', 'error'].includes(type)) {
                    outputs.push(Object.assign({output_type: type}, msg.content));
                }
            };
            const timer = new Promise(resolve => setTimeout(() => resolve(null), timeout * 1000));
            const reply = await Promise.race([future.done, timer]);
            const seconds = (performance.now() - start) / 1000;
            if (reply === null) return {status: 'timeout', outputs, seconds};
            return {status: reply.content.status, outputs, seconds};
        }""", [code, timeout])


# --- comparing printed outputs -------------------------------------------------------------------

NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w])")


def printed(outputs):
    """What a cell printed: its stdout and the text of the value its last line shows."""
    parts = []
    for output in outputs:
        if output["output_type"] == "stream" and output.get("name") == "stdout":
            parts.append(output["text"] if isinstance(output["text"], str) else "".join(output["text"]))
        elif output["output_type"] == "execute_result":
            text = output["data"].get("text/plain", "")
            parts.append((text if isinstance(text, str) else "".join(text)) + "\n")
    return "".join(parts)


def _unit(token):
    """One unit in the last printed digit of a number as printed ("0.125" -> 0.001)."""
    mantissa, _, exponent = token.lower().partition("e")
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    return 10.0 ** (int(exponent or 0) - decimals)


def compare(stored, new, ulps=1.0):
    """None if `new` prints what `stored` does (numbers within `ulps` of their last digit), else why not."""
    stored_numbers, new_numbers = NUMBER.findall(stored), NUMBER.findall(new)
    stored_text, new_text = (" ".join(NUMBER.sub("#", t).split()) for t in (stored, new))
    if stored_text != new_text:
        return f"the text differs:\n--- stored\n{stored}\n--- JupyterLite\n{new}"
    for a, b in zip(stored_numbers, new_numbers):
        if abs(float(a) - float(b)) > ulps * _unit(a) * (1 + 1e-9):
            return f"{b} where the notebook has {a}:\n--- stored\n{stored}\n--- JupyterLite\n{new}"
    return None


def code_cells(notebook_path):
    notebook = json.loads(pathlib.Path(notebook_path).read_text())
    return [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]


# --- the two modes -------------------------------------------------------------------------------


def check_online(lite, link, notebook_path, ulps, timeout, report):
    path = lite.open(link, timeout)
    report(f"opened {path} from the chapter's launch menu")
    lite.kernel_ready(timeout)
    python = lite.execute("import sys; print(sys.platform, sys.version.split()[0])", timeout)
    report(f"the kernel started: {printed(python['outputs']).strip()}")
    failures = 0
    for index, cell in enumerate(code_cells(notebook_path)):
        source = "".join(cell["source"])
        result = lite.execute(source, timeout)
        if result["status"] != "ok":
            errors = [f"{o.get('ename')}: {o.get('evalue')}" for o in result["outputs"] if o["output_type"] == "error"]
            report(f"cell {index}: {result['status']} after {result['seconds']:.1f} s {errors}")
            return 1
        stderr = "".join(o["text"] for o in result["outputs"] if o.get("name") == "stderr")
        difference = compare(printed(cell["outputs"]), printed(result["outputs"]), ulps)
        state = "same output" if difference is None else "DIFFERENT"
        report(f"cell {index}: {result['seconds']:6.1f} s  {state}" + (f" (stderr: {stderr.strip()[:200]})" if stderr else ""))
        if difference:
            report(difference)
            failures += 1
    versions = lite.execute("import importlib.metadata as m\nprint(', '.join(f'{p} {m.version(p)}' for p in "
                            "('numpy', 'scipy', 'scikit-learn', 'matplotlib', 'nnlib')))", timeout)
    report(f"in JupyterLite: {printed(versions['outputs']).strip()}")
    report(f"{failures} of {len(code_cells(notebook_path))} cells printed something else" if failures
           else "every cell printed what the notebook stores, numbers within rounding")
    return 1 if failures else 0


def check_offline(lite, link, notebook_path, timeout, report):
    """Each step of the way, as far as it gets with no network; return the steps as a dict."""
    steps = {}
    path = lite.open(link, timeout)
    steps["opened"] = path
    report(f"opened {path} from the chapter's launch menu")
    kernel = lite.kernel_ready(timeout)
    steps["kernel"] = kernel.get("name")
    platform = lite.execute("import sys; print(sys.platform, sys.version.split()[0])", timeout)
    steps["platform"] = printed(platform["outputs"]).strip()
    report(f"the kernel ({steps['kernel']}) started and runs code: {steps['platform']!r}")

    install_cell = "".join(code_cells(notebook_path)[0]["source"])
    before = len(lite.requests)
    result = lite.execute(install_cell, timeout)
    requested = lite.requests[before:]
    steps["install_cell"] = {
        "status": result["status"],
        "wheel_requests": [u for u in requested if re.search(r"/nnlib-[^/]*\.whl", u)],
        "blocked": [u for u in lite.blocked if u in requested],
        "errors": [f"{o.get('ename')}: {o.get('evalue')}" for o in result["outputs"] if o["output_type"] == "error"],
    }
    report(f"install cell: {result['status']} {steps['install_cell']['errors']}; nnlib's wheel requested from "
           f"{steps['install_cell']['wheel_requests']}; blocked: "
           f"{[u.rsplit('/', 1)[-1] for u in steps['install_cell']['blocked']]}")
    probe = ("import importlib.metadata, importlib.util\n"
             "spec = importlib.util.find_spec('nnlib')\n"
             "print(importlib.metadata.version('nnlib') if spec else None, spec and spec.origin)")
    installed = lite.execute(probe, timeout)
    steps["installed"] = printed(installed["outputs"]).strip()
    report(f"nnlib installed by the install cell: {steps['installed']!r}")
    local = [u for u in steps["install_cell"]["wheel_requests"] if u.startswith(lite.base)]
    if steps["installed"].startswith("None") and local:
        # The cell did not install it: try that very wheel without its dependencies.
        again = lite.execute(f"import piplite\nawait piplite.install({local[0].split('?')[0]!r}, deps=False)\n"
                             + probe, timeout)
        steps["installed_without_dependencies"] = printed(again["outputs"]).strip()
        report(f"the site's wheel, installed without dependencies: {steps['installed_without_dependencies']!r}")
    imported = lite.execute("import nnlib", timeout)
    steps["import"] = "ok" if imported["status"] == "ok" else [
        f"{o.get('ename')}: {o.get('evalue')}" for o in imported["outputs"] if o["output_type"] == "error"]
    report(f"import nnlib: {steps['import']}")
    steps["blocked"] = list(lite.blocked)
    return steps


def offline_verdict(steps, base, offline):
    """None if the offline run got as far as it can: nnlib's wheel from the site, installed."""
    from_site = [u for u in steps["install_cell"]["wheel_requests"] if u.startswith(base)]
    version = steps["installed"].split()[0]
    outside = [u for u in steps["blocked"] if not (u.startswith(offline["cdn"]) and u.split("?")[0].endswith(".whl"))]
    if not steps["platform"].startswith("emscripten"):
        return f"the kernel is not Pyodide: {steps['platform']!r}"
    if not from_site:
        return f"the install cell did not fetch nnlib's wheel from the site: {steps['install_cell']}"
    if version == "None":
        return f"the install cell did not install nnlib: {steps['install_cell']}"
    if outside:
        return f"requests that went elsewhere than to Pyodide's packages: {outside}"
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chapter", default="book/03_layers.ipynb", help="the notebook, as in _toc.yml (default: %(default)s)")
    parser.add_argument("--html", default=str(HTML), help="the built book (default: _build/html)")
    parser.add_argument("--offline", action="store_true", help="no network: check as far as the kernel gets")
    parser.add_argument("--ulps", type=float, default=1.0,
                        help="how far a number may be from the stored one, in units of its last printed digit (default: 1)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds for each step or cell (default: 900)")
    parser.add_argument("--screenshot", help="save the page here at the end (a PNG)")
    args = parser.parse_args(argv)
    if chromium() is None:
        sys.exit("no Chromium or Chrome found (Debian: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    html = pathlib.Path(args.html)
    link = launch_link(html, args.chapter)
    offline = prepare_offline(site=html / "lite") if args.offline else None
    start = time.perf_counter()

    def report(line):
        print(f"[{time.perf_counter() - start:6.1f} s] {line}", flush=True)

    with serve(html) as base, sync_playwright() as playwright:
        lite = Lite(playwright, base, offline)
        try:
            if args.offline:
                steps = check_offline(lite, link, served_notebook(html, link), args.timeout, report)
                print(json.dumps(steps, indent=2))
                verdict = offline_verdict(steps, base, offline)
                report("offline: nnlib's wheel came from the site and installed; numpy and the other compiled "
                       "packages are on Pyodide's CDN only" if verdict is None else f"offline check FAILED: {verdict}")
                return 0 if verdict is None else 1
            return check_online(lite, link, served_notebook(html, link), args.ulps, args.timeout, report)
        except Exception:
            report("the browser's console, last lines:\n  " + "\n  ".join(lite.console[-30:]))
            raise
        finally:
            if lite.blocked:
                report(f"blocked requests: {lite.blocked}")
            lite.close(args.screenshot)


if __name__ == "__main__":
    sys.exit(main())
