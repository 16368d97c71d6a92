"""Structured logging, shared by every handler (Powertools' JSON logger)."""
from aws_lambda_powertools import Logger

logger = Logger(service="billing")
