"""The programs built on the library: the `scfchain` command line (cli, with document_cli and audit_cli), the demo,
the load generator and the web explorer. They import the library (`scfchain.*`); nothing in the library imports them.
"""
