"""`GET /health`: liveness, without authentication and without touching the database."""
from chalicelib.api.blueprint import ApiBlueprint
from chalicelib.api.serialize import json_response

health = ApiBlueprint(__name__)


@health.route("/health", methods=["GET"])
def get_health():
    # A Response with its Content-Type: a bare dict leaves the header to API Gateway, which chalice local omits.
    return json_response({"status": "ok"})
