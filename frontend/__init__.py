"""The product's UI: a Reflex app that talks to the JSON API through `api`."""
