"""Every command route comes from one table (caller/api/command_routes.py ROUTES): no handler that submits a
queue command is written by hand, every row has its route, and every command has a row (but the phone ticket
page's two, sent from caller/api/ticket_page.py with the link's token)."""
from __future__ import annotations

import inspect
import re

from fastapi import APIRouter, FastAPI, routing
from fastapi.routing import APIRoute

from caller.api import command_routes, ticket_page
from caller.api.app import API_PREFIX, create_app
from caller.api.command_routes import PATIENT_PAGE, ROUTES, CommandRoute
from caller.commands import COMMANDS
from common.config import DEMO_CONFIG, load_hospital
from records.plugins import PLUGINS

SUBMITS = re.compile(r"\.(submit|execute|execute_batch)\(")
TABLE_HANDLER = command_routes.endpoint(ROUTES[0]).__code__  # every row's handler runs this same code


def api_routes(app: FastAPI) -> list[tuple[str, APIRoute]]:
    """(full path, route) of every HTTP route of the app, the included routers' too."""
    return [(ctx.path_format, ctx.original_route) for ctx in routing.iter_route_contexts(app.routes)
            if isinstance(ctx.original_route, APIRoute)]


def built_from_the_table(route: APIRoute) -> bool:
    return getattr(route.endpoint, "__code__", None) is TABLE_HANDLER


def hand_written_command_routes(app: FastAPI) -> list[str]:
    """'METHOD path' of every route under /api/v1 whose own handler sends a command to the service."""
    return [f"{sorted(route.methods)} {path}" for path, route in api_routes(app)
            if path.startswith(API_PREFIX) and not built_from_the_table(route)
            and SUBMITS.search(inspect.getsource(route.endpoint))]


def test_no_command_route_is_written_by_hand():
    app = create_app(load_hospital(DEMO_CONFIG), ":memory:", plugins=PLUGINS)
    assert hand_written_command_routes(app) == []
    built = {(path, route.name) for path, route in api_routes(app) if built_from_the_table(route)
             and route.methods == {"POST"}}
    assert built == {(API_PREFIX + row.path, row.route_name) for row in ROUTES}, "every row has its route, no more"


def test_the_check_sees_a_hand_written_command_route():
    app = FastAPI()
    router = APIRouter()

    @router.post("/visits/{visit_id}/start")
    async def start(visit_id: str, request) -> dict:  # never called
        return await request.app.state.service.submit("start", None, visit_id=visit_id)

    @router.post("/visits/{visit_id}/note")
    async def note(visit_id: str) -> dict:
        return {"visit_id": visit_id}

    app.include_router(router, prefix=API_PREFIX)
    assert hand_written_command_routes(app) == [f"['POST'] {API_PREFIX}/visits/{{visit_id}}/start"]


def test_every_command_has_a_route_from_the_table():
    routed = {row.command.name for row in ROUTES}
    page = {command.name for command in PATIENT_PAGE}
    assert routed | page == set(COMMANDS), set(COMMANDS) - routed - page
    assert not routed & page
    assert all(COMMANDS[row.command.name] is row.command for row in ROUTES), "a row names its command by the object"
    assert set(re.findall(r'\.submit\("(\w+)"', inspect.getsource(ticket_page))) == page


def test_a_route_is_checked_in_the_area_its_path_names():
    """The access check comes from the path: a visit's, a room's or an area's; the few others say how."""
    unscoped = {row.route_name for row in ROUTES if row.place is None or not row.scoped}
    assert unscoped == {"register", "pay"}  # by the body's department; the step's area or a cashier's
    assert all(isinstance(row, CommandRoute) and row.path.startswith("/") for row in ROUTES)
