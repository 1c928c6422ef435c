"""`sodclient pacs`: the PACS nodes set up in the app (System → PACS Nodes), from the command line: echo a node,
search it, retrieve studies into the library, send a library case to it. The same services as the app."""

from __future__ import annotations

import sys

from sodclient.errors import InputError
from sodclient.exit_codes import Exit
from sodclient.services import pacs


def register(sub) -> None:
    p = sub.add_parser("pacs", help="PACS nodes: echo, search, retrieve into the library, send a case")
    cmds = p.add_subparsers(dest="pacs_command", metavar="ACTION", required=True)
    cmds.add_parser("nodes", help="list the nodes set up in System → PACS Nodes").set_defaults(handler=_nodes)
    e = cmds.add_parser("echo", help="C-ECHO (DICOM) or a QIDO-RS search (DICOMweb), with a diagnosis")
    e.add_argument("node", help="the node's name, as System → PACS Nodes (or `sodclient pacs nodes`) lists it")
    e.set_defaults(handler=_echo)
    q = cmds.add_parser("query", help="search studies (prints date, patient, ID, description, images, study UID)")
    q.add_argument("node", help="the node's name, as System → PACS Nodes (or `sodclient pacs nodes`) lists it")
    for flag, what in (
        ("--name", "patient name (wildcards * and ? allowed)"),
        ("--id", "patient ID"),
        ("--from", "first study date, YYYY-MM-DD"),
        ("--to", "last study date, YYYY-MM-DD"),
        ("--modality", "modality, e.g. CT"),
        ("--accession", "accession number"),
        ("--study-uid", "Study Instance UID"),
    ):
        q.add_argument(flag, default="", help=f"only studies with this {what}")
    q.set_defaults(handler=_query)
    r = cmds.add_parser("retrieve", help="retrieve studies by Study Instance UID into the library")
    r.add_argument("node", help="the node's name, as System → PACS Nodes (or `sodclient pacs nodes`) lists it")
    r.add_argument("study_uid", nargs="+", help="Study Instance UIDs, as `sodclient pacs query` prints them")
    r.set_defaults(handler=_retrieve)
    s = cmds.add_parser("send", help="send a library case's DICOM images (C-STORE or STOW-RS)")
    s.add_argument("node", help="the node's name, as System → PACS Nodes (or `sodclient pacs nodes`) lists it")
    s.add_argument("--case", type=int, required=True, help="the case's number (see `sodclient pacs query` or the app)")
    s.set_defaults(handler=_send)


def _nodes(args, profile) -> int:
    for n in pacs.nodes(profile):
        print(f"{n.name}\t{pacs.method_name(n)}\t{n.describe()}")
    return Exit.OK


def _echo(args, profile) -> int:
    print(pacs.echo(profile, pacs.node(profile, args.node)))
    return Exit.OK


def _query(args, profile) -> int:
    query = pacs.StudyQuery(
        patient_name=args.name,
        patient_id=args.id,
        date_from=args.__dict__["from"],
        date_to=args.to,
        modality=args.modality,
        accession=args.accession,
        study_uid=args.study_uid,
    )
    for s in pacs.search(profile, pacs.node(profile, args.node), query):
        print(
            "\t".join(
                [
                    s.date,
                    s.patient_name,
                    s.patient_id,
                    s.description,
                    s.modalities,
                    "" if s.instances is None else str(s.instances),
                    s.study_uid,
                ]
            )
        )
    return Exit.OK


def _retrieve(args, profile) -> int:
    node = pacs.node(profile, args.node)
    studies = []
    for uid in args.study_uid:
        found = pacs.search(profile, node, pacs.StudyQuery(study_uid=uid))
        if not found:
            raise InputError(f"{node.name} has no study {uid}")
        studies.append(found[0])
    outcome = pacs.retrieve(profile, node, studies)
    for s in outcome.studies:
        print(
            f"{s.study.study_uid}: "
            + (
                f"filed ({len(s.result.documents)} new, {s.result.duplicates} already in the library)"
                if s.ok and s.result is not None
                else f"not filed: {s.error}"
            )
        )
    return Exit.OK if outcome.filed == len(studies) else Exit.SERVER


def _send(args, profile) -> int:
    docs = profile.library().documents(case_id=args.case)
    if not docs:
        raise InputError(f"The library has no case {args.case} with documents")
    outcome = pacs.send_to_pacs(profile, pacs.node(profile, args.node), docs)
    for r in outcome.results:
        if not r.ok:
            print(f"{r.sop_instance_uid}: {r.message}", file=sys.stderr)
    print(
        f"stored {outcome.stored} of {len(outcome.results)} instance(s)"
        + (
            f"; {outcome.not_dicom} other document(s) are not DICOM and stay in the library"
            if outcome.not_dicom
            else ""
        )
    )
    return Exit.OK if not outcome.failed else Exit.SERVER
