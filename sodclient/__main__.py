from sodclient.cli import run

run()
