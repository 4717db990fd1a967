"""HTTP: the agent console's pages and API, the demo site, the health check and page headers."""
