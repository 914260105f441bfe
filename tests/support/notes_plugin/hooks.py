"""Hook implementations of the test plugin; deliveries are recorded for assertions."""

import asyncio
import datetime as dt

from core import hookimpl
from core.graphql import GraphQLContribution
from core.jobs import Job
from core.permissions import Permission
from notes_plugin import service

# What the hooks saw, for tests to assert on (reset by the tests' fixture).
DELIVERED_EVENTS: list[tuple[int | None, str]] = []
JOB_RUNS: list[str] = []
ENABLED_ON: list[int] = []
DISABLED_ON: list[int] = []
FAIL_NEXT_EVENTS: list[bool] = []


@hookimpl
def concierge_graphql() -> GraphQLContribution:
    from notes_plugin.schema import NotesMutation, NotesQuery, NotesSubscription

    return GraphQLContribution(
        query=NotesQuery, mutation=NotesMutation, subscription=NotesSubscription
    )


@hookimpl
def concierge_permissions() -> list[Permission]:
    return [Permission("notes:read", "See notes"), Permission("notes:write", "Add notes")]


@hookimpl
async def concierge_plugin_enabled(session, property, clock) -> None:
    ENABLED_ON.append(property.id)
    await service.seed_welcome_note(session, clock=clock)


@hookimpl
def concierge_plugin_disabled(session, property) -> None:  # may take fewer arguments
    DISABLED_ON.append(property.id)


@hookimpl
def concierge_request_context(context) -> dict:
    return {"test_notes.mark": f"notes-on-{context.property.slug}"}


@hookimpl
async def concierge_event(event, context) -> None:
    if FAIL_NEXT_EVENTS:
        FAIL_NEXT_EVENTS.pop()
        raise RuntimeError("handler failed on purpose")
    DELIVERED_EVENTS.append((event.property_id, event.name))


async def _count_job(context) -> None:
    JOB_RUNS.append("start")
    await asyncio.sleep(0.2)
    JOB_RUNS.append("end")


@hookimpl
def concierge_jobs() -> list[Job]:
    return [Job(name="test_notes.count", interval=dt.timedelta(hours=1), run=_count_job)]


async def _ping(request):
    from starlette.responses import JSONResponse

    return JSONResponse({"pong": request.path_params["name"]})


@hookimpl
def concierge_routes() -> list:
    from starlette.routing import Route

    return [Route("/ping/{name}", _ping, methods=["GET"])]
