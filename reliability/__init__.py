"""The fault-injection suite: every scenario run once per injected fault (a crash after each DynamoDB write, a
throttling error before each call), redelivered as AWS would, then checked; `python -m reliability.run` runs them
all and writes reliability/results.json and docs/reliability.md."""
