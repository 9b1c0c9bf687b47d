"""One shape per fact, guarded: one refusal class, no status guessed from a code, no silent broad except.

These read the project's source (not the tests'), so a second error class or a swallowed failure that comes back
in a later change fails here with the file and line to look at.
"""
from __future__ import annotations

import ast
import pathlib

from caller.api.command_routes import ROUTES
from caller.commands import COMMANDS
from caller.engine.model import STATE_CHANGES
from common import refusal

REPO = pathlib.Path(__file__).resolve().parents[2]
SKIP = {"tests", "bench", ".venv", ".git", "out", "build", "dist"}
LOGGING_CALLS = {"debug", "info", "warning", "error", "exception", "critical", "print_exc"}


def project_sources() -> list[tuple[str, ast.Module]]:
    out = []
    for path in sorted(REPO.rglob("*.py")):
        rel = path.relative_to(REPO)
        if rel.parts[0] in SKIP or any(part.startswith(".") for part in rel.parts) or len(rel.parts) < 2:
            continue
        out.append((str(rel), ast.parse(path.read_text(encoding="utf-8"))))
    return out


SOURCES = project_sources()


def refusal_classes() -> set[str]:
    """Names of Refusal and its subclasses defined in the project (by their bases, transitively)."""
    bases: dict[str, set[str]] = {}
    for _, tree in SOURCES:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases.setdefault(node.name, set()).update(
                    b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases)
    found = {"Refusal"}
    while True:
        more = {name for name, of in bases.items() if of & found} - found
        if not more:
            return found
        found |= more


def test_the_base_class_says_status_code_and_both_languages():
    refused = refusal.Refusal("wrong_state", "请稍候", "please wait", bill_id=7)
    assert refused.status == 409 and refusal.Refusal.status == 409
    assert refused.body() == {"error": {"code": "wrong_state", "message_zh": "请稍候", "message_en": "please wait",
                                        "bill_id": 7}}
    assert refusal.Refusal("unauthorized", "请登录", "log in", status=401).headers() == {"WWW-Authenticate": "Bearer"}


def test_every_error_with_chinese_and_english_messages_is_a_refusal():
    """A class that carries message_zh is a Refusal subclass: there is no second error shape."""
    refusals = refusal_classes()
    others = []
    for rel, tree in SOURCES:
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef) or node.name in refusals:
                continue
            for inner in ast.walk(node):
                target = inner.targets[0] if isinstance(inner, ast.Assign) and len(inner.targets) == 1 else None
                if isinstance(target, ast.Attribute) and target.attr == "message_zh":
                    others.append(f"{rel}:{node.lineno} {node.name}")
                    break
    assert others == [], f"derive these from refusal.Refusal: {others}"
    for name in ("RuleError", "AuthError", "ApiError", "RecordsError", "CallerError", "NotifyError", "StorageError",
                 "PaymentError", "PrinterError"):
        assert name in refusals, f"{name} must derive from refusal.Refusal"


def test_no_status_is_guessed_and_no_error_is_duck_typed():
    refusals = refusal_classes()
    found = []
    for rel, tree in SOURCES:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name == "rule_status":
                found.append(f"{rel}:{node.lineno} a status guessed from a code")
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if name == "hasattr" and len(node.args) == 2 and isinstance(node.args[1], ast.Constant) \
                    and node.args[1].value in ("message_zh", "message_en", "code", "status"):
                found.append(f"{rel}:{node.lineno} hasattr(..., {node.args[1].value!r}): catch refusal.Refusal")
            if name in refusals and node.args and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, int):
                found.append(f"{rel}:{node.lineno} {name}({node.args[0].value}, ...): the code comes first, "
                             "the status is the class's or status=")
    assert found == []


def _broad(handler: ast.ExceptHandler) -> bool:
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return handler.type is None or any(isinstance(k, ast.Name) and k.id in ("Exception", "BaseException")
                                       for k in kinds)


def _accounted_for(handler: ast.ExceptHandler) -> bool:
    """Re-raised, logged, or handed on (the caught exception itself is passed to someone who reports it)."""
    for node in ast.walk(ast.Module(body=handler.body, type_ignores=[])):
        if isinstance(node, ast.Raise):
            return True
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) in LOGGING_CALLS:
            return True
        if handler.name and isinstance(node, ast.Name) and node.id == handler.name:
            return True
    return False


def test_every_broad_except_is_narrowed_or_logged():
    silent = []
    for rel, tree in SOURCES:
        for node in ast.walk(tree):
            if isinstance(node, ast.ExceptHandler) and _broad(node) and not _accounted_for(node):
                silent.append(f"{rel}:{node.lineno}")
    assert silent == [], f"narrow these to what can happen, or log the reason: {silent}"


def test_a_command_has_one_name_from_route_to_state_table():
    """A row of STATE_CHANGES is keyed by the command's one name (caller/commands.py), the name of its route, audit
    action and idempotency scope, so a reader follows ``missed`` from ``POST /visits/{id}/missed`` to the table.
    Only ``settle`` borrows another command's row (a paid cashier step ends like a collected one)."""
    assert set(STATE_CHANGES) <= set(COMMANDS), set(STATE_CHANGES) - set(COMMANDS)
    borrowed = {c.name: c.states for c in COMMANDS.values() if c.states is not None and c.states != c.name}
    assert borrowed == {"settle": "collect"}
    # a route's last word is its command's name, but for these few (named by what staff do there)
    renamed = {route.path: route.command.name for route in ROUTES
               if route.path.rsplit("/", 1)[1] != route.command.name.replace("_", "-")}
    assert renamed == {
        "/visits": "register", "/visits/{visit_id}/call": "call_visit", "/rooms/{room_id}/pause": "pause_room",
        "/rooms/{room_id}/resume": "resume_room", "/rooms/{room_id}/doctor": "room_doctor",
        "/visits/{visit_id}/orders": "open_steps", "/visits/{visit_id}/pay": "pay_step",
        "/visits/{visit_id}/dispense": "start_dispensing", "/visits/{visit_id}/ready": "mark_ready",
        "/visits/{visit_id}/prep": "set_gate", "/visits/{visit_id}/labels": "print_labels"}
