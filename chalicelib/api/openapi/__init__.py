"""The service's own OpenAPI 3.1 description: pydantic models of every request and response (one module per
resource), the table of operations, and the document built from both and the app's routes."""
