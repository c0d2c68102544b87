"""An app that plugs into the project's registries by declaring on its AppConfig only."""
