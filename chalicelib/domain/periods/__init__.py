"""Billing periods: intervals, billing times and timezones; the windows each invoice bills; proration.
Rules and departures from Lago: docs/periods.md."""
from chalicelib.domain.periods.billing_period import PeriodSchedule
from chalicelib.domain.periods.display import from_datetime, to_datetime
from chalicelib.domain.periods.intervals import BillingTime, Interval
from chalicelib.domain.periods.local_days import day_start, days_in, local_day
from chalicelib.domain.periods.period import Period
from chalicelib.domain.periods.proration import ProratedFee, prorated_base_fee, trial_end
from chalicelib.domain.periods.windows import (
                                               BillingTerms,
                                               BillingWindows,
                                               billing_windows,
                                               current_usage_window,
                                               next_billing_at,
                                               starting_windows,
                                               termination_windows,
)

__all__ = ["BillingTerms", "BillingTime", "BillingWindows", "Interval", "Period", "PeriodSchedule", "ProratedFee",
           "billing_windows", "current_usage_window", "day_start", "days_in", "from_datetime", "local_day",
           "next_billing_at", "prorated_base_fee", "starting_windows", "termination_windows", "to_datetime",
           "trial_end"]
