"""The domain core (periods, pricing, aggregations, rules) is pure: no module of it imports boto3,
botocore or Chalice, so it runs the same in the API, the aggregator, the biller and unit tests."""
from __future__ import annotations

import ast
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "chalicelib" / "domain"
FORBIDDEN = {"boto3", "botocore", "chalice", "moto"}


def imported_top_level_modules(source: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(source.read_text(), filename=str(source))):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module.split(".")[0])
    return modules


def test_the_domain_core_imports_no_aws_or_chalice():
    sources = sorted(DOMAIN.rglob("*.py"))
    assert len(sources) > 20, "the domain package was not found"
    offenders = {str(source.relative_to(DOMAIN)): sorted(imported_top_level_modules(source) & FORBIDDEN)
                 for source in sources if imported_top_level_modules(source) & FORBIDDEN}
    assert offenders == {}
