"""`make bench`: issue 19's figures measured in process on moto (docs/performance.md)."""
