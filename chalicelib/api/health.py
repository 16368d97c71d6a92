"""`GET /health`: liveness, without authentication and without touching the database."""
from chalice import Blueprint

health = Blueprint(__name__)


@health.route("/health", methods=["GET"])
def get_health():
    return {"status": "ok"}
