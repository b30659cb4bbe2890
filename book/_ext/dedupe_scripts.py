"""Drop repeated <script> tags from each page.

Jupyter Book 1.0.4 with sphinx-thebe 0.3.1 adds sphinx-thebe's inline configuration script to
every page twice (and sphinx-togglebutton's too), and the second copy of the first throws "Identifier 'THEBE_JS_URL' has already been
declared" in the browser console. Keeping only the first of identical scripts removes the error
and changes nothing else.
"""


def _drop_repeated_scripts(app, pagename, templatename, context, doctree):
    seen, unique = set(), []
    for script in context.get("script_files", []):
        # The repeats differ only in an empty filename: None in one copy, "" in the other.
        key = (getattr(script, "filename", None) or "", repr(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app):
    app.connect("html-page-context", _drop_repeated_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
