"""Who may see what: the one policy every capability asks (owner, advocate, link visitor).

`policy` answers for a session and a user or link; `viewer` is its web side (the link
cookie, 404 and 403); `panels` lets capabilities add parts to a case's pages without
the pages importing them.
"""
