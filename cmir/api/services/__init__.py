"""Queries behind the routes: plain functions of a `Context` and a read-only `Connection`."""
