"""The project's core: no Django app logic, imports no app."""
