"""`GET /health`: liveness, without authentication and without touching the database."""
from chalicelib.api.blueprint import ApiBlueprint

health = ApiBlueprint(__name__)


@health.route("/health", methods=["GET"])
def get_health():
    return {"status": "ok"}
