"""The web site and JSON API: server-rendered pages over the same report the CLI prints."""
