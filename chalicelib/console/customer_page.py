"""A customer's page: its name, its tabs, and the open tab's template (`customer_<tab>.html`) with its context."""
from __future__ import annotations

from typing import Any

from chalice import Response
from chalice.app import Request

from chalicelib.console.http import console_root, html
from chalicelib.console.pages import render
from chalicelib.domain.customers import Customer
from chalicelib.usecases.console_sessions import SignedIn

TABS = (("overview", "Overview"), ("subscriptions", "Subscriptions"), ("usage", "Usage"), ("invoices", "Invoices"))


def customer_tab(request: Request, signed_in: SignedIn, customer: Customer, tab: str, status_code: int = 200,
                 **context: Any) -> Response:
    return html(render("customer.html", root=console_root(request), signed_in=signed_in, customer=customer,
                       tabs=TABS, tab=tab, **context), status_code=status_code)
