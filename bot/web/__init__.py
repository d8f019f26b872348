"""Web surface: JSON API, interview routes, Gradio UI, widget, security middleware, server."""
