"""The routes of a resource kept as records under a key (a code or a lago_id): create, list a page, read, update
and delete, each calling the verb of the same name of the resource's use cases. The request is read and the record
answered in Lago's envelope (`{root_key: ...}`) here, the same way for every resource."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Literal

from chalice import Response

from chalicelib.api.auth import current_organization
from chalicelib.api.blueprint import ApiBlueprint
from chalicelib.api.body import root_object
from chalicelib.api.pagination import paged_list
from chalicelib.api.serialize import json_response
from chalicelib.domain.organizations import Organization
from chalicelib.usecases.listing import ListPage

Verb = Literal["create", "list", "read", "update", "delete"]


@dataclass(frozen=True)
class RecordRoutes:
    blueprint: ApiBlueprint
    collection_path: str  # `/api/v1/plans`
    key: str  # the item path's parameter: `code` or `lago_id`
    root_key: str  # `plan`
    plural: str  # `plans`, the list's key
    render: Callable[[Any], dict]
    use_cases: Callable[[], Any]  # create(organization, body), find / delete(organization, key), update(..., body)
    pages: Callable[[], ListPage[Any]]  # the list's use case

    @property
    def item_path(self) -> str:
        return f"{self.collection_path}/{{{self.key}}}"

    def answer(self, record: Any) -> Response:
        return json_response({self.root_key: self.render(record)})

    def organization(self) -> Organization:
        return current_organization(self.blueprint.current_request)

    def body(self) -> dict:
        return root_object(self.blueprint.current_request.raw_body, self.root_key)

    def serve(self, *verbs: Verb) -> None:
        """Route each of `verbs` to its use case."""
        views: dict[Verb, tuple[str, str, Callable[..., Response]]] = {
            "create": (self.collection_path, "POST",
                       lambda: self.answer(self.use_cases().create(self.organization(), self.body()))),
            "list": (self.collection_path, "GET", lambda: paged_list(
                self.blueprint.current_request.query_params, self.pages(), self.organization().id,
                self.plural, self.render)),
            "read": (self.item_path, "GET",
                     lambda **path: self.answer(self.use_cases().find(self.organization(), path[self.key]))),
            "update": (self.item_path, "PUT", lambda **path: self.answer(
                self.use_cases().update(self.organization(), path[self.key], self.body()))),
            "delete": (self.item_path, "DELETE",
                       lambda **path: self.answer(self.use_cases().delete(self.organization(), path[self.key]))),
        }
        for verb in verbs:
            path, method, view = views[verb]
            view.__name__ = f"{verb}_{self.root_key}"
            self.blueprint.route(path, methods=[method])(view)
