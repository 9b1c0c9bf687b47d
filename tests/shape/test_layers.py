"""The layers you see in the folders (docs/architecture.md), kept by the code and not only by the page:

- `common` imports nothing of the project but itself;
- `client`, `uikit` and `hardware` import only `common`;
- the apps (`kiosk`, `display`, `caller_console`, `cockpit`) import only `common`, `client`, `uikit` and `hardware`
  (and their own package): never the server `caller`, never another app;
- `caller/service.py` imports nothing of the HTTP layer `caller/api`.

Every import counts, also those inside functions (the same dependency, only later).
"""
from __future__ import annotations

import ast
import pathlib

REPO = pathlib.Path(__file__).resolve().parents[2]
SKIP = {"tests", ".venv", ".git", "out", "build", "dist"}
PROJECT = {p.name for p in REPO.iterdir() if p.is_dir() and p.name not in SKIP and (p / "__init__.py").exists()}
APPS = ("kiosk", "display", "caller_console", "cockpit")
MAY_IMPORT = {
    "common": set(),
    "client": {"common"},
    "uikit": {"common"},
    "hardware": {"common"},
    **{app: {"common", "client", "uikit", "hardware"} for app in APPS},
}


def imported_modules(source: str) -> list[str]:
    """Absolute module names a source file imports (relative imports stay inside their package)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append(node.module)
    return found


def wrong_imports(package: str, allowed: set[str], files: dict[str, str]) -> list[str]:
    """'file: module' for every import of a project package that `package` may not use."""
    return [f"{name}: {module}" for name, source in sorted(files.items()) for module in imported_modules(source)
            if module.split(".")[0] in PROJECT - {package} - allowed]


def sources(package: str) -> dict[str, str]:
    return {str(p.relative_to(REPO)): p.read_text(encoding="utf-8") for p in sorted((REPO / package).rglob("*.py"))}


def test_the_layer_folders_exist():
    assert {"common", "client", "caller", *APPS} <= PROJECT


def test_each_layer_imports_only_the_layers_below_it():
    wrong = {pkg: wrong_imports(pkg, allowed, sources(pkg)) for pkg, allowed in MAY_IMPORT.items()}
    assert not any(wrong.values()), {pkg: found for pkg, found in wrong.items() if found}


def test_the_service_does_not_import_its_http_layer():
    service = (REPO / "caller" / "service.py").read_text(encoding="utf-8")
    assert [m for m in imported_modules(service) if m == "caller.api" or m.startswith("caller.api.")] == []


def test_the_check_sees_a_wrong_import():
    files = {"kiosk/x.py": "import os\nfrom common.wire import CallData\n\ndef f():\n    from caller.engine.model import Visit\n"}
    assert wrong_imports("kiosk", MAY_IMPORT["kiosk"], files) == ["kiosk/x.py: caller.engine.model"]
    assert wrong_imports("common", set(), {"common/y.py": "import hardware.printer\n"}) == ["common/y.py: hardware.printer"]


DISPATCH_BY_NAME = ("ENGINE_METHODS", "getattr(self.engine", 'getattr(self, f"do_', "getattr(service.engine")


def test_commands_are_not_found_by_their_name():
    """A command is a row of caller/commands.py (and a console action carries its own handler): nothing picks the
    code to run by building its name at run time."""
    found = [f"{path}: {pattern}" for package in ("caller", "caller_console", "records")
             for path, source in sources(package).items() for pattern in DISPATCH_BY_NAME if pattern in source]
    assert found == []


# getattr(x, <a name computed at run time>) picks code or data by a string. In caller/ and records/ only these read
# fields, never a method or a command: file -> why.
GETATTR_BY_NAME_ALLOWED = {
    "caller/ops/reload.py": "compares two hospital files section by section and item by item (fields, not methods)",
    "caller/api/command_routes.py": "lists which of the body's optional fields a client set (fields, not methods)",
    "records/schedule.py": "reads one field of a row that is a dict or a settings object",
    "records/schedules.py": "reads one field of a row that is a dict or a settings object",
    "records/settings.py": "reads the fee of each number kind from the hospital file's [fees] (fields, not methods)",
}


def getattr_by_name(source: str) -> list[int]:
    """Lines calling ``getattr(x, name)`` with a name that is not written in the code."""
    return [node.lineno for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
            and len(node.args) >= 2 and not isinstance(node.args[1], ast.Constant)]


def test_nothing_is_picked_by_a_name_built_at_run_time():
    """A command, an engine method, a records part or a queue notice is a plain reference a reader can follow: no
    getattr with a computed name in the server or records (a few reads of fields, listed with why)."""
    found = {path: lines for package in ("caller", "records") for path, source in sources(package).items()
             if (lines := getattr_by_name(source)) and path not in GETATTR_BY_NAME_ALLOWED}
    assert found == {}


def test_the_check_sees_a_method_picked_by_name():
    assert getattr_by_name('send = getattr(self.queue, how, None)\nx = getattr(y, "fixed")\n') == [1]


SERVICE_LINES_MAX = 450  # caller/service.py builds its collaborators; the command runner, lookups and the rest are theirs


def test_the_service_stays_one_job():
    """The command runner, lookups, help desk, device watch, wait alerts and cockpit feed are collaborators of their
    own (docs/architecture.md); the service builds them and answers what the API asks through them."""
    lines = (REPO / "caller" / "service.py").read_text(encoding="utf-8").count("\n")
    assert lines <= SERVICE_LINES_MAX, f"caller/service.py has {lines} lines: give the new part a module of its own"


SERVICE_NAMES = {"service", "svc"}


def sets_on_the_service(source: str) -> list[str]:
    """Statements that set an attribute of the service object (``service.x = ...``, ``request.app.state.service.x
    = ...``, also deeper: ``service.x.y = ...``) or add to one of its lists (``service.hooks_list.append(...)``)."""

    def from_service(node: ast.AST) -> bool:
        while isinstance(node, ast.Attribute):
            if node.attr in SERVICE_NAMES:
                return True
            node = node.value
        return isinstance(node, ast.Name) and node.id in SERVICE_NAMES

    found = []
    for node in ast.walk(ast.parse(source)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, (ast.AugAssign, ast.AnnAssign)) else []
        found += [ast.unparse(t) for t in targets if isinstance(t, ast.Attribute) and from_service(t.value)]
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("append", "extend", "insert") and isinstance(node.func.value, ast.Attribute)
                and isinstance(node.func.value.value, ast.Name) and node.func.value.value.id in SERVICE_NAMES):
            found.append(ast.unparse(node.func))
    return found


def test_nothing_sets_attributes_on_the_service_from_outside():
    """Plug-ins hook in through the ServiceHooks they are given (caller/plugins.py), presenters cache nothing on it."""
    found = {path: hits for package in PROJECT - {"tests"} for path, source in sources(package).items()
             if path != "caller/service.py" and (hits := sets_on_the_service(source))}
    assert found == {}


def test_the_check_sees_an_attribute_set_on_the_service():
    source = ("service.records_device = f\nrequest.app.state.service.cache = {}\nservice.reload_hooks.append(g)\n"
              "service.notify.reminders.attach(x)\nself.service = service\n")
    assert sets_on_the_service(source) == ["service.records_device", "request.app.state.service.cache",
                                           "service.reload_hooks.append"]


def test_plug_ins_are_named_in_a_list_not_loaded_by_a_name():
    """records is installed through the plug-in list its program gives create_app (records/plugins.py)."""
    app = (REPO / "caller" / "api" / "app.py").read_text(encoding="utf-8")
    assert not [m for m in imported_modules(app) if m == "importlib" or m.startswith("importlib.")]
    assert "import_module" not in app


COLLABORATORS = ("command_runner", "lookup", "help_desk", "device_watch", "wait_alerts", "cockpit_feed", "idempotency",
                 "visit_status", "check_in_codes", "ticket_links")


def test_the_collaborators_know_neither_the_service_nor_the_http_layer():
    """They are given what they need (docs/architecture.md, "The service and its collaborators")."""
    wrong = {name: [m for m in imported_modules((REPO / "caller" / f"{name}.py").read_text(encoding="utf-8"))
                    if m == "caller.service" or m == "caller.api" or m.startswith("caller.api.")]
             for name in COLLABORATORS}
    assert not any(wrong.values()), wrong
