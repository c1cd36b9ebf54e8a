"""How the app is run: the HTTP server, workers, the rate table and the connection guard. The app never imports it."""
