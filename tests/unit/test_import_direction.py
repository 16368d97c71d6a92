"""Imports point down: no cycle between chalicelib's top-level packages (a module directly in chalicelib counts as
one), the domain imports nothing of chalicelib outside itself, the use cases reach storage only through their ports
(nothing of the API, the store, the local runtime or AWS's SDK), the webhooks and Lago's JSON (rendering) never
import the HTTP API, and the rendering reads nothing (no store, no AWS client): the use cases hand it what it shows."""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

CHALICELIB = Path(__file__).resolve().parents[2] / "chalicelib"


def top_level(module: str) -> str | None:
    """The top-level part of chalicelib a module belongs to (`chalicelib.store.usage` -> `store`)."""
    parts = module.split(".")
    return parts[1] if parts[0] == "chalicelib" and len(parts) > 1 else None


def imported_modules(source: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(source.read_text(), filename=str(source))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def package_imports() -> dict[str, dict[str, set[str]]]:
    """For each top-level part, the other parts it imports and, for each, the files that do."""
    graph: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for source in CHALICELIB.rglob("*.py"):
        relative = source.relative_to(CHALICELIB).with_suffix("")
        if relative.parts == ("__init__",):
            continue
        part = relative.parts[0]
        for module in imported_modules(source):
            target = top_level(module)
            if target is not None and target != part:
                graph[part][target].add(str(source.relative_to(CHALICELIB)))
    return graph


def cycles(graph: dict[str, dict[str, set[str]]]) -> list[list[str]]:
    """Every strongly connected set of more than one part (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_package_graph_is_read():
    graph = package_imports()
    assert {"api", "billing", "domain", "rendering", "store", "usage", "usecases", "webhooks"} <= set(graph) | {
        target for targets in graph.values() for target in targets}
    assert "domain" in graph["store"]


def test_no_cycle_between_chalicelibs_top_level_packages():
    graph = package_imports()
    assert [(component, {part: {target: sorted(graph[part][target]) for target in graph[part]
                                if target in component} for part in component})
            for component in cycles(graph)] == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b": set()}, "b": {"c": set()}, "c": {"a": set()}, "d": {"a": set()}}) == [["a", "b", "c"]]


def test_the_domain_imports_nothing_of_chalicelib_outside_itself():
    assert package_imports().get("domain", {}) == {}


def test_the_webhooks_and_the_rendering_never_import_the_api():
    graph = package_imports()
    assert {part: sorted(graph[part]["api"]) for part in ("webhooks", "rendering") if "api" in graph.get(part, {})} == {}


def forbidden_imports(package: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    """For each module of a chalicelib package, the forbidden modules (or their submodules) it imports."""
    def is_forbidden(module: str) -> bool:
        return any(module == name or module.startswith(f"{name}.") for name in forbidden)

    found = {str(source.relative_to(CHALICELIB)): sorted(filter(is_forbidden, imported_modules(source)))
             for source in (CHALICELIB / package).rglob("*.py")}
    return {source: modules for source, modules in found.items() if modules}


AWS_SDK = ("boto3", "botocore")


def test_the_rendering_reads_nothing_from_the_store_nor_aws():
    assert forbidden_imports("rendering", ("chalicelib.store", "chalicelib.api", *AWS_SDK)) == {}


def test_the_use_cases_import_no_adapter_nor_entry_point():
    assert forbidden_imports("usecases", ("chalicelib.api", "chalicelib.store", "chalicelib.local", *AWS_SDK)) == {}


# The adapters the data-plane use cases reach only through their ports (chalicelib/<package>/ports.py).
ADAPTERS = ("chalicelib.store", "chalicelib.api", *AWS_SDK)
# The webhooks' own adapters: the HTTP POST and the SQS queue; billing's: the SQS work queue.
WEBHOOK_ADAPTERS = ("webhooks/transport.py", "webhooks/queue.py")
BILLING_ADAPTERS = ("billing/work_queue.py",)
# The composition roots and the SQS client: the data-plane use cases are handed what they build.
COMPOSITION = ("chalicelib.control_plane", "chalicelib.wiring", "chalicelib.queues")


def test_the_webhook_use_cases_reach_storage_through_their_ports():
    found = forbidden_imports("webhooks", ADAPTERS)
    assert {source: modules for source, modules in found.items() if source not in WEBHOOK_ADAPTERS} == {}


def test_billing_reaches_storage_through_its_ports():
    found = forbidden_imports("billing", ADAPTERS)
    assert {source: modules for source, modules in found.items() if source not in BILLING_ADAPTERS} == {}


def test_usage_reaches_storage_through_its_ports():
    assert forbidden_imports("usage", ADAPTERS) == {}


def test_the_data_plane_use_cases_are_handed_their_adapters():
    found = {source: modules for package in ("billing", "usage", "webhooks")
             for source, modules in forbidden_imports(package, COMPOSITION).items()}
    assert {source: modules for source, modules in found.items()
            if source not in WEBHOOK_ADAPTERS + BILLING_ADAPTERS} == {}


# The entry points that still build what they call on the store themselves; every other one reaches it through a
# use case wired in a composition root (chalicelib/control_plane.py, chalicelib/wiring.py).
API_STORE_IMPORTERS = {"api/body.py"}


def test_the_api_reaches_the_store_only_where_it_still_must():
    assert set(forbidden_imports("api", ("chalicelib.store",))) <= API_STORE_IMPORTERS


def test_the_console_never_reaches_the_store():
    """The console reads and writes through the use cases its composition roots wire, as the API does."""
    assert forbidden_imports("console", ("chalicelib.store", "chalicelib.api", *AWS_SDK)) == {}
