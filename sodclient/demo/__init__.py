"""The demo's own little world, on loopback only: an SFTP server, a mail catcher, a download site and
synthetic sample studies. A leaf: plain values in and out, nothing of the profile, settings or UI, so
`services.demo` wires it to two throw-away profiles and the UI only shows what it gives back.
"""
