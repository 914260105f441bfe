"""Webhooks to a real local HTTP receiver: each event arrives once per endpoint with a
valid signature, the ones sent while the receiver was down included once it is back;
a failing endpoint is retried with backoff and disabled after ten failures in a row;
a delivery can be sent again by hand."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from core.testing import ConciergeTestKit, PropertyRef

ADD_NOTE = "mutation($t: String!) { addNote(input: {text: $t}) { errors { code } } }"
CREATE = (
    "mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) {"
    " secret endpoint { id active } errors { code field message } } }"
)
LOG = (
    "{ webhookDeliveries(first: 50) { edges { node { id eventId eventName delivered"
    " attempts lastStatusCode lastError } } } }"
)


class Receiver:
    """A webhook receiver on 127.0.0.1: records what it gets, answers ``status``."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._handler = Handler
        self._server: ThreadingHTTPServer | None = None

    @contextmanager
    def running(self) -> Iterator[Receiver]:
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler)
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.received]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def setup(concierge: ConciergeTestKit) -> tuple[PropertyRef, Receiver, str]:
    tenant = await concierge.tenant("acme")
    shop = await concierge.property(tenant, "acme-shop", plugins=["test_notes", "webhooks"])
    receiver = Receiver(free_port())
    created = await concierge.graphql(
        CREATE,
        {
            "input": {
                "url": f"http://127.0.0.1:{receiver.port}/hook",
                "eventTypes": ["test_notes.*"],
            }
        },
        property=shop,
    )
    payload = created.ok()["createWebhookEndpoint"]
    assert payload["errors"] == [] and payload["endpoint"]["active"] is True
    return shop, receiver, payload["secret"]


def assert_signed(headers: dict[str, str], body: bytes, secret: str) -> None:
    expected = hmac.new(
        secret.encode(), headers["x-concierge-timestamp"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    assert headers["x-concierge-signature"] == f"sha256={expected}"


async def log(concierge: ConciergeTestKit, shop: PropertyRef) -> list[dict[str, Any]]:
    data = (await concierge.graphql(LOG, property=shop)).ok()
    return [e["node"] for e in data["webhookDeliveries"]["edges"]]


async def test_each_event_arrives_once_including_those_sent_while_the_receiver_was_down(
    concierge: ConciergeTestKit,
) -> None:
    shop, receiver, secret = await setup(concierge)
    for text in ("one", "two"):
        await concierge.graphql(ADD_NOTE, {"t": text}, property=shop)
    await concierge.run_job("webhooks.deliver")  # nobody listens on the port yet
    failed = await log(concierge, shop)
    assert len(failed) == 2 and not any(d["delivered"] for d in failed)
    assert sum(d["attempts"] for d in failed) == 1  # the rest waits: the endpoint is down
    assert next(d["lastError"] for d in failed if d["attempts"]).startswith("ConnectError")
    await concierge.graphql(ADD_NOTE, {"t": "three"}, property=shop)

    with receiver.running():
        await concierge.run_job("webhooks.deliver")  # the failed one is backing off
        concierge.clock.advance(dt.timedelta(seconds=31))
        await concierge.run_job("webhooks.deliver")
        await concierge.run_job("webhooks.deliver")  # nothing left: nothing sent twice
    events = receiver.events()
    assert sorted(e["payload"]["text"] for e in events) == ["one", "three", "two"]
    assert len({e["id"] for e in events}) == 3
    for (headers, body), event in zip(receiver.received, events, strict=True):
        assert_signed(headers, body, secret)
        assert headers["x-concierge-event-id"] == str(event["id"])
        assert event["name"] == "test_notes.note_added" and event["property"] == "acme-shop"
    assert all(d["delivered"] and d["lastStatusCode"] == 200 for d in await log(concierge, shop))


async def test_a_failing_endpoint_backs_off_then_is_disabled_and_resumes(
    concierge: ConciergeTestKit,
) -> None:
    shop, receiver, _ = await setup(concierge)
    await concierge.graphql(ADD_NOTE, {"t": "retry me"}, property=shop)
    receiver.status = 500
    with receiver.running():
        for attempt in range(10):
            await concierge.run_job("webhooks.deliver")
            assert len(receiver.received) == attempt + 1
            await concierge.run_job("webhooks.deliver")  # too soon: backing off
            assert len(receiver.received) == attempt + 1
            concierge.clock.advance(dt.timedelta(hours=6, seconds=1))
        await concierge.run_job("webhooks.deliver")
        assert len(receiver.received) == 10  # disabled: no eleventh
        endpoints = await concierge.graphql(
            "{ webhookEndpoints { id active consecutiveFailures disabledReason } }", property=shop
        )
        (endpoint,) = endpoints.ok()["webhookEndpoints"]
        assert (endpoint["active"], endpoint["consecutiveFailures"]) == (False, 10)
        assert "answered 500" in endpoint["disabledReason"]

        receiver.status = 200  # fixed; the integrator enables it again
        update = (
            "mutation($e: ID!) { updateWebhookEndpoint(input: {endpoint: $e, active: true}) {"
            " endpoint { active } errors { code } } }"
        )
        assert (await concierge.graphql(update, {"e": endpoint["id"]}, property=shop)).ok()[
            "updateWebhookEndpoint"
        ] == {"endpoint": {"active": True}, "errors": []}
        await concierge.run_job("webhooks.deliver")
        assert len(receiver.received) == 11
        (delivery,) = await log(concierge, shop)
        assert delivery["delivered"] and delivery["attempts"] == 11

        # Sent again by hand: the same event id, for the receiver to drop.
        redeliver = (
            "mutation($d: ID!) { redeliverWebhook(input: {delivery: $d}) { errors { code } } }"
        )
        await concierge.graphql(redeliver, {"d": delivery["id"]}, property=shop)
        await concierge.run_job("webhooks.deliver")
    ids = [json.loads(body)["id"] for _, body in receiver.received]
    assert len(ids) == 12 and len(set(ids)) == 1


async def test_bad_endpoints_are_refused(concierge: ConciergeTestKit) -> None:
    tenant = await concierge.tenant("acme")
    shop = await concierge.property(tenant, "acme-shop", plugins=["test_notes", "webhooks"])
    for url, types, field in (
        ("ftp://example.com/x", [], "url"),
        ("not a url", [], "url"),
        ("https://example.com/x", ["Orders placed"], "eventTypes"),
    ):
        result = await concierge.graphql(
            CREATE, {"input": {"url": url, "eventTypes": types}}, property=shop
        )
        (error,) = result.ok()["createWebhookEndpoint"]["errors"]
        assert (error["code"], error["field"]) == ("INVALID_INPUT", [field])
    listed = await concierge.graphql("{ webhookEndpoints { id } }", property=shop)
    assert listed.ok()["webhookEndpoints"] == []
