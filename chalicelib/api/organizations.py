"""`/api/v1/organizations`: the authenticated organization (PUT as Lago; GET is an extension)."""
from __future__ import annotations

from chalicelib.api.auth import current_organization
from chalicelib.api.blueprint import ApiBlueprint
from chalicelib.api.body import root_object
from chalicelib.api.serialize import json_response
from chalicelib.control_plane import organization_use_cases
from chalicelib.rendering.resources import organization_json

organizations = ApiBlueprint(__name__)


@organizations.route("/api/v1/organizations", methods=["GET"])
def get_organization():
    return json_response({"organization": organization_json(current_organization(organizations.current_request))})


@organizations.route("/api/v1/organizations", methods=["PUT"])
def update_organization():
    request = organizations.current_request
    organization = current_organization(request)
    updated = organization_use_cases().update(organization, root_object(request.raw_body, "organization"))
    return json_response({"organization": organization_json(updated)})
