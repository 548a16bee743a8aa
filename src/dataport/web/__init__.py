"""The console: server-rendered pages for exporters and regulators, on the API's services."""
