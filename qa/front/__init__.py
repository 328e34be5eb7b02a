"""The front ends: the `qa` command (cli, cli_options, cli_process) and its terminal output
(render), `qa chat` (chat), and the servers `qa serve` and `qa mcp` (server, mcp_server, sharing one
index and model through service). Each reaches the index through `qa.api.QA`, and validates what users
give through it; nothing else in qa imports this package."""
