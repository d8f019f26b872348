"""Director Coach web app: `python app.py [--host H] [--port N] [--workers N]`."""

from bot.web.server import main

if __name__ == "__main__":
    main()
