"""One module per `sodclient` sub-command; each defines `register(subparsers)`.

The CLI discovers the modules here, so adding a command never means editing a central list.
A command's handler receives the parsed arguments and returns an exit code.
"""
