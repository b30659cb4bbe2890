"""The book builds from its stored outputs with no warning, and every chapter becomes a page."""
import json
import pathlib

from _tools import toc_files

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_the_book_builds_with_warnings_as_errors(built_book):
    assert built_book.returncode == 0, built_book.stdout[-3000:] + built_book.stderr[-3000:]
    assert "WARNING" not in built_book.stderr


def test_every_toc_entry_becomes_a_page(built_book):
    files = toc_files()
    assert len(files) == 15
    for entry in files:
        assert (ROOT / "_build" / "html" / f"{entry}.html").is_file(), entry


def test_every_notebook_is_in_the_toc_and_was_run_top_to_bottom():
    listed = set(toc_files())
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        assert f"book/{path.stem}" in listed, path.name
        notebook = json.loads(path.read_text())
        code = [c for c in notebook["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]
        assert [c["execution_count"] for c in code] == list(range(1, len(code) + 1)), path.name
        assert notebook["metadata"]["kernelspec"]["name"] == "python3"
        for cell in code:
            assert "execution" not in cell["metadata"], f"{path.name}: timing metadata recorded"
            for output in cell["outputs"]:
                assert output["output_type"] != "error", path.name
                assert output.get("name") != "stderr", f"{path.name}: stderr output"


COLUMN = 79  # characters of code the content column shows at 1280 px (the browser test checks it)


def test_code_and_output_lines_fit_the_column():
    """Cheap and early: what the browser test would find clipped, before anyone builds."""
    too_long = []
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        for index, cell in enumerate(json.loads(path.read_text())["cells"]):
            if cell["cell_type"] != "code" or "remove-cell" in cell["metadata"].get("tags", []):
                continue
            texts = ["".join(cell["source"])]
            for output in cell["outputs"]:
                data = output.get("data", {})
                if "scrapbook" in output.get("metadata", {}):  # glued values are not shown
                    continue
                if output.get("output_type") == "stream":
                    texts.append("".join(output["text"]))
                elif "text/plain" in data and not {"image/png", "text/html"} & set(data):
                    texts.append("".join(data["text/plain"]))
            too_long += [f"{path.name} cell {index}: {line!r}" for text in texts
                         for line in text.splitlines() if len(line) > COLUMN]
    assert not too_long, f"{len(too_long)} lines longer than {COLUMN} characters:\n" + "\n".join(too_long)
