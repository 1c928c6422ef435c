"""`sodclient thread`: the deliveries sent and received, by case, with the ids `send --in-reply-to` takes."""

from __future__ import annotations

from sodclient.services.reply import all_messages, case_documents


def register(sub) -> None:
    p = sub.add_parser("thread", help="list deliveries sent and received (ids for send --in-reply-to), by case")
    p.add_argument("--case", type=int, metavar="N", help="only this case")
    p.add_argument("--documents", action="store_true", help="also list each case's documents (ids for --document)")
    p.set_defaults(handler=_run)


def _run(args, profile) -> int:
    messages = [m for m in all_messages(profile) if args.case is None or m.case_id == args.case]
    for case_id in sorted({m.case_id or 0 for m in messages}):
        print(f"case {case_id or '(none)'}")
        for m in messages:
            if (m.case_id or 0) != case_id:
                continue
            arrow = "<- from" if m.direction == "received" else "-> to  "
            reply = f"  (reply to {m.in_reply_to})" if m.in_reply_to else ""
            who = m.counterpart or "(unknown)"
            print(f"  {m.at}  {arrow} {who}  {m.delivery_id}  {m.documents} document(s){reply}")
            if m.message:
                print(f"      {m.message.splitlines()[0][:100]}")
        if args.documents and case_id:
            for doc in case_documents(profile, case_id):
                print(f"    document {doc.id}: {doc.title} ({doc.size} bytes)")
    return 0
