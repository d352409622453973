"""Reflex configuration for the product's UI ("frontend").

The UI listens on 3000. In prod Reflex serves the built pages and its own
event backend on that one port; in dev its event backend uses 8000, clear of
the JSON API (8080) and the Kivra emulator (8765). Ports can be overridden on
the command line (`--frontend-port`, `--backend-port`), which the browser tests
do to run beside a developer's own instance.
"""

import reflex as rx

config = rx.Config(
    app_name="frontend",
    frontend_port=3000,
    backend_port=8000,
    backend_host="127.0.0.1",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(accent_color="indigo", gray_color="slate", radius="medium"),
        )
    ],
    # The product is behind a sign-in; a sitemap would only list its routes.
    disable_plugins=[rx.plugins.SitemapPlugin],
)
