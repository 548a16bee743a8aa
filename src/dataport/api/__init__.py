"""The HTTP API (FastAPI): thin routers that parse, call one service, and render."""
