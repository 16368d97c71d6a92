"""Each measured path of issue 19: drive it through the app's public surface, count it (bench/meter.py), and return
its figures. `Sizes` shrinks them for the suite's smoke test."""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from bench.cost import BatchCost, dollars_per_million_events
from bench.figures import ensure, figure
from bench.meter import Counts, counting, stored_bytes
from bench.world import World, cold_container, month_start
from chalicelib.store.repositories import repositories
from chalicelib.store.tables import EVENTS


@dataclass(frozen=True)
class Sizes:
    rounds: int = 3
    batch: int = 100                 # events per batch (and subscriptions of the spread scenario)
    many_values: int = 10_000        # distinct values of the unique_count read, and events of the sum read
    biller_customers: int = 3        # customers billed per biller run
    biller_events: tuple[int, int] = (10, 1000)  # events per customer of the biller's two runs
    timed: int = 30                  # requests per CPU measurement


WARMING = 4  # the single event request counted as warm: the 4th since the container started
BATCHES_TIMED = 5  # batch requests (and as many runs of raw puts) per CPU measurement


def _event(transaction_id: str, subscription: str, code: str, value: Any) -> dict:
    field = "user" if code == "seen" else "size"
    return {"transaction_id": transaction_id, "external_subscription_id": subscription, "code": code,
            "properties": {field: value}}


class Bench:
    """The scenarios' shared catalog: a sum metric and a unique_count metric, a plan on each."""

    def __init__(self, world: World, sizes: Sizes):
        self.world, self.sizes = world, sizes
        self._sent = 0
        world.plan("sum", world.metric("bytes", "sum_agg", "size"))
        world.plan("unique", world.metric("seen", "unique_count_agg", "user"))

    def batch_for(self, subscriptions: list[str], count: int, code: str = "bytes",
                  values: list[Any] | None = None) -> list[dict]:
        """`count` events spread round-robin over the subscriptions, each with a new transaction id."""
        events = []
        for index in range(count):
            self._sent += 1
            value = values[index] if values is not None else 1 + index % 7
            events.append(_event(f"bench-{self._sent}", subscriptions[index % len(subscriptions)], code, value))
        return events

    def ingest(self, events: list[dict]) -> int:
        """Send the events in batches of `batch` and deliver the stream; how many records it delivered."""
        for start in range(0, len(events), self.sizes.batch):
            self.world.send_batch(events[start:start + self.sizes.batch])
        return self.world.deliver_stream()


def _per(counts: list[Counts], attribute: str, per: int) -> list[Decimal]:
    return [Decimal(getattr(count, attribute)) / per for count in counts]


def _raw(counts: list[Counts]) -> list[dict[str, Any]]:
    return [count.as_dict() for count in counts]


def _side_by_side(actions: dict[str, Any], times: int) -> dict[str, tuple[float, float]]:
    """Median CPU seconds (process_time) and wall seconds (perf_counter) of each action, run `times` times in turn
    (one of each, then again), so that what else the machine runs weighs on every side alike."""
    cpu: dict[str, list[float]] = {name: [] for name in actions}
    wall: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(times):
        for name, action in actions.items():
            started_cpu, started_wall = time.process_time(), time.perf_counter()
            action()
            cpu[name].append(time.process_time() - started_cpu)
            wall[name].append(time.perf_counter() - started_wall)
    return {name: (statistics.median(cpu[name]), statistics.median(wall[name])) for name in actions}


def ingestion_and_aggregation(bench: Bench, results: dict[str, Any]) -> None:
    """The batch path (concentrated: one subscription per batch) and the stream handler on the same batches, then
    the spread scenario (a batch of one event for each of `batch` subscriptions): warm rounds after a first batch."""
    sizes, world = bench.sizes, bench.world
    for customer in ("concentrated", *(f"spread-{index}" for index in range(sizes.batch))):
        world.subscribe(customer, "sum")
    batch_cost: dict[str, list[BatchCost]] = {}
    for scenario, subscriptions in (("concentrated", ["concentrated"]),
                                    ("spread", [f"spread-{index}" for index in range(sizes.batch)])):
        bench.ingest(bench.batch_for(subscriptions, sizes.batch))  # the first batch: the containers warm up
        ingested, aggregated = [], []
        for _ in range(sizes.rounds):
            events = bench.batch_for(subscriptions, sizes.batch)
            cpu_started = time.process_time()
            with counting() as ingestion:
                world.send_batch(events)
            ingestion_cpu = time.process_time() - cpu_started
            cpu_started = time.process_time()
            with counting() as aggregation:
                delivered = world.deliver_stream()
            aggregation_cpu = time.process_time() - cpu_started
            ensure(ingestion.counts.write_units > 0, "ingestion", "no event written")
            ensure(delivered == sizes.batch and aggregation.counts.write_units > 0, "aggregation",
                   f"{delivered} records delivered, {aggregation.counts.write_units} write units")
            ingested.append(ingestion.counts)
            aggregated.append(aggregation.counts)
            app_cpu = max(ingestion_cpu + aggregation_cpu - ingestion.counts.seconds_in_requests
                          - aggregation.counts.seconds_in_requests, 0.0)
            batch_cost.setdefault(scenario, []).append(BatchCost(
                events=sizes.batch,
                requests=ingestion.counts.total_requests + aggregation.counts.total_requests,
                write_units=ingestion.counts.write_units + aggregation.counts.write_units,
                read_units=ingestion.counts.read_units + aggregation.counts.read_units,
                cpu_seconds=Decimal(str(round(app_cpu, 6))),
                stored_bytes=stored_bytes(EVENTS.name, sizes.batch)))
        how_batch = (f"POST /api/v1/events/batch of {sizes.batch} events ({scenario}), warm (after a first batch); "
                     "DynamoDB requests and write units counted on botocore events, units from item sizes")
        how_stream = (f"the stream handler given the same {sizes.batch} records by the local stack's poller, warm; "
                      "counted as the ingestion")
        if scenario == "concentrated":
            results["ingest_write_units_per_event"] = figure(
                _per(ingested, "write_units", sizes.batch), how_batch, events_per_round=sizes.batch,
                raw=_raw(ingested))
            results["keep_batch_ingestion_requests_per_event"] = figure(
                _per(ingested, "total_requests", sizes.batch), how_batch, events_per_round=sizes.batch,
                raw=_raw(ingested))
        results[f"aggregation_requests_per_event_{scenario}"] = figure(
            _per(aggregated, "total_requests", sizes.batch), how_stream, events_per_round=sizes.batch,
            raw=_raw(aggregated))
        results[f"aggregation_write_units_per_event_{scenario}"] = figure(
            _per(aggregated, "write_units", sizes.batch), how_stream, events_per_round=sizes.batch,
            raw=_raw(aggregated))
    for scenario, costs in batch_cost.items():
        totals = [dollars_per_million_events(cost) for cost in costs]
        results[f"cost_per_million_events_{scenario}"] = figure(
            [total["total"] for total in totals],
            f"US dollars for 10^6 events' ingestion and aggregation ({scenario}), bench/cost.py's model "
            "(docs/performance.md) on each round's measured batch",
            batches=[{**cost.__dict__, "cpu_seconds": float(cost.cpu_seconds), "read_units": float(cost.read_units)}
                     for cost in costs],
            lines=[{name: round(float(value), 4) for name, value in total.items()} for total in totals])


def single_event(bench: Bench, results: dict[str, Any]) -> None:
    """One POST /events: cold (the first after what the container keeps is dropped) and warm (the `WARMING`th: a
    container cache may need more than one request to fill); its CPU and wall time against a raw PutItem of the same
    item."""
    sizes, world = bench.sizes, bench.world
    world.subscribe("single", "sum")
    sequences: list[list[Counts]] = []
    for _ in range(sizes.rounds):
        cold_container()
        sequence = []
        for _ in range(WARMING):
            with counting() as request:
                world.send_event(bench.batch_for(["single"], 1)[0])
            sequence.append(request.counts)
        ensure(sequence[-1].total_requests > 0, "single event", "no request counted")
        sequences.append(sequence)
    warm, cold = [sequence[-1] for sequence in sequences], [sequence[0] for sequence in sequences]
    results["single_event_requests"] = figure(
        [count.total_requests for count in warm], f"POST /api/v1/events, warm: the {WARMING}th request in the same "
        "process (a warm Lambda container); DynamoDB requests counted on botocore events", raw=_raw(warm),
        requests_from_cold=[[count.total_requests for count in sequence] for sequence in sequences],
        cold=figure([count.total_requests for count in cold], "the same, cold: the first request after what the "
                    "container keeps is dropped (bench/world.py)", raw=_raw(cold)))
    world.deliver_stream()
    client = repositories().client
    item = client.scan(TableName=EVENTS.name, Limit=1)["Items"][0]
    puts = iter(range(10**9))

    def raw_put() -> None:
        client.put_item(TableName=EVENTS.name, Item={**item, "pk": {"S": f"raw#{next(puts)}"}})

    def raw_puts() -> None:
        for _ in range(sizes.batch):
            raw_put()

    single_ratios, batch_ratios, raw = [], [], []
    for _ in range(sizes.rounds):
        singles = _side_by_side({"raw_put": raw_put, "post": lambda: world.send_event(
            bench.batch_for(["single"], 1)[0])}, sizes.timed)
        batches = _side_by_side({"raw_puts": raw_puts, "batch": lambda: world.send_batch(
            bench.batch_for(["single"], sizes.batch))}, BATCHES_TIMED)
        single_ratios.append(singles["post"][0] / singles["raw_put"][0])
        batch_ratios.append(batches["batch"][0] / batches["raw_puts"][0])
        raw.append({f"{name}_{measure}_s": seconds for timed in (singles, batches) for name, pair in timed.items()
                    for measure, seconds in zip(("cpu", "wall"), pair, strict=True)} | {"batch_events": sizes.batch})
        world.deliver_stream()
    results["keep_single_event_cpu_over_raw_put"] = figure(
        single_ratios, f"median process_time of {sizes.timed} warm POST /api/v1/events over that of {sizes.timed} "
        "PutItem of the same event item through the app's client, taken in turn in the same run (moto in process for "
        "both)", raw=raw)
    results["keep_batch_cpu_over_raw_puts"] = figure(
        batch_ratios, f"median process_time of {BATCHES_TIMED} POST /api/v1/events/batch of {sizes.batch} events over "
        f"that of {sizes.batch} raw PutItem of the same item, taken in turn in the same run", raw=raw)


def current_usage(bench: Bench, results: dict[str, Any]) -> None:
    """GET current_usage of a subscription with a sum charge (requests; read units at few and many events) and of
    one with a unique_count charge at 10 and `many_values` distinct values."""
    sizes, world = bench.sizes, bench.world
    reads: dict[str, list[Counts]] = {}
    for name, plan, code, events in (("sum_few", "sum", "bytes", 10), ("sum_many", "sum", "bytes", sizes.many_values),
                                     ("unique_10", "unique", "seen", 10),
                                     ("unique_many", "unique", "seen", sizes.many_values)):
        subscription = world.subscribe(f"usage-{name}", plan)
        values = list(range(events)) if code == "seen" else None
        delivered = bench.ingest(bench.batch_for([subscription], events, code, values))
        ensure(delivered == events, "current usage", f"{delivered} of {events} events aggregated")
        world.current_usage(subscription)  # warm
        reads[name] = []
        for _ in range(sizes.rounds):
            with counting() as read:
                usage = world.current_usage(subscription)
            expected = events if code == "seen" else sum(1 + index % 7 for index in range(events))
            units = usage["customer_usage"]["charges_usage"][0]["units"]
            ensure(Decimal(units) == expected, "current usage", f"{name}: {units} units shown, {expected} expected")
            reads[name].append(read.counts)
    how = "GET /api/v1/customers/{id}/current_usage?external_subscription_id=..., warm; counted on botocore events"
    results["current_usage_requests_per_read"] = figure(
        [count.total_requests for count in reads["sum_few"]], f"{how}; a subscription with one sum charge, 10 events",
        raw=_raw(reads["sum_few"]))
    results["unique_count_read_units_10k_over_10"] = figure(
        [many.read_units / few.read_units for many, few in zip(reads["unique_many"], reads["unique_10"], strict=True)],
        f"{how}; read units of one read at {sizes.many_values} distinct values over the same at 10 (one "
        "unique_count charge)", read_units_many=[float(count.read_units) for count in reads["unique_many"]],
        read_units_10=[float(count.read_units) for count in reads["unique_10"]], distinct_values=sizes.many_values,
        raw_many=_raw(reads["unique_many"]), raw_10=_raw(reads["unique_10"]))
    for name, events in (("sum_few", 10), ("sum_many", sizes.many_values)):
        results[f"keep_sum_current_usage_read_units_{events}_events"] = figure(
            [count.read_units for count in reads[name]], f"{how}; read units of one read, one sum charge, {events} "
            "events", raw=_raw(reads[name]))


def biller(sizes: Sizes, results: dict[str, Any]) -> None:
    """The biller's run (as its schedule calls it) an hour after the period ends: requests and units per customer
    invoiced, with `biller_events[0]` events a customer (each round its own customers) and with `biller_events[1]`."""
    for events in sizes.biller_events:
        counts, invoices = [], []
        with World() as world:
            bench = Bench(world, sizes)
            now = month_start(world.started, 1) + timedelta(hours=1)
            for round_index in range(sizes.rounds):
                customers = [world.subscribe(f"billed-{round_index}-{index}", "sum")
                             for index in range(sizes.biller_customers)]
                bench.ingest(bench.batch_for(customers, events * len(customers)))
                with counting() as run:
                    summary = world.run_biller(now)
                ensure(summary["invoices_created"] == len(customers), "biller",
                       f"{summary['invoices_created']} invoices issued for {len(customers)} customers: {summary}")
                counts.append(run.counts)
                invoices.append(summary["invoices_created"])
        how = (f"the biller's run (wiring.run_biller, as the hourly schedule calls it) an hour after the period, "
               f"{sizes.biller_customers} customers each with one subscription and {events} events; per customer "
               "invoiced")
        suffix = "" if events == sizes.biller_events[0] else f"_{events}_events"
        results[f"biller_requests_per_customer{suffix}"] = figure(
            [Decimal(count.total_requests) / invoiced for count, invoiced in zip(counts, invoices, strict=True)],
            how, customers_per_round=invoices, raw=_raw(counts))
        results[f"biller_write_units_per_customer{suffix}"] = figure(
            [Decimal(count.write_units) / invoiced for count, invoiced in zip(counts, invoices, strict=True)],
            how, customers_per_round=invoices, raw=_raw(counts))
        results[f"biller_read_units_per_customer{suffix}"] = figure(
            [count.read_units / invoiced for count, invoiced in zip(counts, invoices, strict=True)],
            how, customers_per_round=invoices, raw=_raw(counts))


def in_process(sizes: Sizes) -> dict[str, Any]:
    """Every figure measured in process on moto."""
    results: dict[str, Any] = {}
    with World() as world:
        bench = Bench(world, sizes)
        ingestion_and_aggregation(bench, results)
        single_event(bench, results)
        current_usage(bench, results)
    biller(sizes, results)
    return results
