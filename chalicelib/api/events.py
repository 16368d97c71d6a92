"""`/api/v1/events`: ingest one event or a batch of up to 100 (idempotent per transaction_id and
subscription), read one by transaction_id, list a subscription's."""
from __future__ import annotations

from chalicelib.api.auth import current_organization
from chalicelib.api.blueprint import ApiBlueprint
from chalicelib.api.body import parse_json, root_object
from chalicelib.api.errors import missing_root_key
from chalicelib.api.pagination import list_request
from chalicelib.api.serialize import json_response
from chalicelib.control_plane import customer_time, event_use_cases, ingest_events
from chalicelib.domain.clock import utc_now_ms
from chalicelib.rendering.resources import event_json

events = ApiBlueprint(__name__)


@events.route("/api/v1/events", methods=["POST"])
def create_event():
    request = events.current_request
    organization = current_organization(request)
    event = ingest_events().one(organization, root_object(request.raw_body, "event"),
                                customer_time(organization, utc_now_ms()))
    return json_response({"event": event_json(event)})


@events.route("/api/v1/events/batch", methods=["POST"])
def create_events():
    request = events.current_request
    organization = current_organization(request)
    document = parse_json(request.raw_body, "events")
    if not isinstance(document, dict) or "events" not in document:
        raise missing_root_key("events")
    stored = ingest_events().batch(organization, document["events"], customer_time(organization, utc_now_ms()))
    return json_response({"events": [event_json(event) for event in stored]})


@events.route("/api/v1/events/{transaction_id}", methods=["GET"])
def get_event(transaction_id: str):
    request = events.current_request
    organization = current_organization(request)
    query = request.query_params or {}
    event = event_use_cases().find(organization, transaction_id, query.get("external_subscription_id"))
    return json_response({"event": event_json(event)})


@events.route("/api/v1/events", methods=["GET"])
def list_events():
    listing = list_request(events.current_request)
    page = listing.page
    listed = event_use_cases().list(listing.organization, listing.query, page.number, page.per_page)
    return json_response({"events": [event_json(event) for event in listed.events],
                          "meta": page.meta(listed.total_count)})
