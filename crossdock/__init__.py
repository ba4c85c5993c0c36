"""Crossdock: the command line, settings and process runner that tie the packages together."""
