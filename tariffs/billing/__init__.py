"""The billing contract of domain.md §6: pure rules (`rules`) over facts loaded set-based (`facts`).

Everything that needs a billing answer — the `bill` command, invoices, the reconciliation job,
a visit's page — goes through `rules.decide`, so the thirteen rules exist once.
"""
