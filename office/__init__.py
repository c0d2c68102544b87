"""The back office's composition of the domain apps: what one app's admin pages show of
another's (a customer's page linking to their invoices). It sits above every domain app, so
those never import each other against their layers, and none imports this one."""
