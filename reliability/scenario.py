"""A scenario and its exploration: the world prepared once, then one run per fault turn (the 1st write or call,
the 2nd, ...) until a run ends without its fault having fired, each run judged on its own."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from reliability.counting import Counts
from reliability.faults import Fault, FaultKind, Injector
from reliability.redelivery import NeverDone
from reliability.world import World, world


@dataclass(frozen=True)
class Scenario:
    name: str
    phase: str
    summary: str  # what it does, for docs/reliability.md
    fault: FaultKind
    prepare: Callable[[World], None]  # before the snapshot, without faults
    act: Callable[[World], None]  # under the fault, redelivering as AWS does
    judge: Callable[[World], Counts]
    settle: Callable[[World], None] = lambda world: None  # what is still delivered afterwards, without faults


@dataclass
class Explored:
    scenario: Scenario
    runs: int = 0
    faults_injected: int = 0
    counts: Counts = field(default_factory=Counts)
    failed_runs: list[str] = field(default_factory=list)  # "fault turn: what broke"


class NoFaultInjected(Exception):
    """A scenario whose first turn never came: it tests nothing, so the suite fails."""


def explore(scenario: Scenario, max_runs: int = 400) -> Explored:
    explored = Explored(scenario)
    with world() as built:
        scenario.prepare(built)
        built.snapshot()
        for turn in range(1, max_runs + 1):
            built.restore()
            injector = Injector(built.client, Fault(scenario.fault, turn))
            failures = []
            try:
                with injector:
                    scenario.act(built)
                scenario.settle(built)
            except NeverDone as stuck:
                failures.append(str(stuck))
            counts = scenario.judge(built)
            explored.runs += 1
            explored.faults_injected += injector.fired
            explored.counts += counts
            if failures + counts.failures:
                explored.failed_runs.append(f"{injector.fault.counts} #{turn}: {', '.join(failures + counts.failures)}")
            if not injector.fired:
                break
        else:
            raise RuntimeError(f"{scenario.name}: still injecting after {max_runs} runs")
    if explored.faults_injected == 0:
        raise NoFaultInjected(f"{scenario.name}: no {Fault(scenario.fault, 1).counts} to fault")
    return explored
