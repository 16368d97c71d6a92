"""The web console: server-rendered pages under /console on the API's own app (docs/console.md)."""
