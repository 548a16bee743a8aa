"""Allow ``python -m dataport``."""

from dataport.cli.main import main

main()
