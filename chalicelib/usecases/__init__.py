"""Use cases shared by several entry points (the biller, the stream aggregator, the API): each takes its stores and
clock as parameters and imports only the domain, never `api`, `billing` or `usage`."""
