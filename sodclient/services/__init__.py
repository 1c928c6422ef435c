"""The use cases: the only code that combines transport, notify, library, Peer Review and the audit trail.

One module per use case: `send` (review -> pack -> upload -> notify), `receive` (open and import a .SOD,
file one's own documents), `outbox` (retry what a send could not finish), `connection` (test the servers,
trust a host key), `purge` (expired deliveries), `settings` (FTP Config changes), `identity` (own key
and contacts). The command line and the UI call these and nothing below them; each takes the `Profile`.
"""
