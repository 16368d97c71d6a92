"""The console's Jinja2 templates (autoescaped: every value a user typed shows as text) and its static assets."""
from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
HTMX = "htmx-2.0.11.min.js"
STYLESHEET = "console.css"
ASSETS = {HTMX: "text/javascript; charset=utf-8", STYLESHEET: "text/css; charset=utf-8"}


def path_segment(value: str) -> str:
    """A user's id as one path segment (`/` and `%` included)."""
    return quote(value, safe="")


@cache
def asset_version(name: str) -> str:
    """A digest of an asset's content: its URL changes with it, so it can be cached for a year."""
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]


@cache
def environment() -> Environment:
    templates = Environment(loader=FileSystemLoader(HERE / "templates"),
                            autoescape=select_autoescape(default=True, default_for_string=True),
                            undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    templates.filters["path_segment"] = path_segment
    templates.globals.update(htmx=HTMX, stylesheet=STYLESHEET, asset_version=asset_version)
    return templates


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
