"""Peer Review: turn a set of files into de-identified copies in `out_dir`, or leave them out and say why.

Flow: expand inputs -> clean each file into a hidden staging folder (optionally in worker processes) ->
build one residual scanner from every identifying value seen in the whole send -> scan every staged byte
and name -> move the clean files to neutral names in `out_dir`. Until the last step nothing is visible
in `out_dir`; on error or cancel the staging folder (and anything already moved) is removed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from sodclient.deid import final_check, preview
from sodclient.deid.clean_file import ItemResult, process_input
from sodclient.deid.deny_list import DenyList
from sodclient.deid.errors import StagingWriteError
from sodclient.deid.identifiers import IdentifierSet
from sodclient.deid.inputs import expand_inputs
from sodclient.deid.keys import SendKeys
from sodclient.deid.options import PeerReviewOptions
from sodclient.deid.report import LeftOut, OutputChange, PeerReviewReport
from sodclient.deid.residual import ResidualScanner, TextScanner
from sodclient.errors import InputError, UserError
from sodclient.progress import CancelToken, ProgressSink, RateMeter, no_progress

STAGE = "deidentify"


def run_peer_review(
    paths: list[Path],
    out_dir: Path,
    options: PeerReviewOptions = PeerReviewOptions(),
    progress: ProgressSink = no_progress,
    cancel: CancelToken | None = None,
) -> PeerReviewReport:
    """De-identify `paths` into `out_dir` (created if missing, must be empty). See the module docstring."""
    out_dir = Path(out_dir)
    skipped: list[Path] = []
    inputs = expand_inputs([Path(p) for p in paths], exclude=out_dir, skipped=skipped)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise InputError("the output folder must be a new or empty folder")
    created = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".peer-review-", dir=out_dir))
    moved: list[Path] = []
    try:
        try:
            report = _run(inputs, out_dir, staging, options, progress, cancel, moved)
            if skipped:
                report.notes.insert(
                    0,
                    f"{len(skipped)} operating-system file(s) in the folders (e.g. .DS_Store, "
                    "Thumbs.db) were skipped and will not be sent",
                )
        except StagingWriteError as exc:
            raise UserError(f"could not write the de-identified copies ({exc})") from exc
    except BaseException:
        for path in moved:
            path.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        if created:
            shutil.rmtree(out_dir, ignore_errors=True)
        raise
    shutil.rmtree(staging, ignore_errors=True)
    return report


def _run(inputs, out_dir, staging, options, progress, cancel, moved) -> PeerReviewReport:
    keys = SendKeys()
    sizes = [_size(p) for p in inputs]
    meter = RateMeter(STAGE, sum(sizes) * 2 or None, progress)  # half for cleaning, half for the scan
    meter.update(0, "starting", force=True)
    results: list[ItemResult] = []
    done = 0
    jobs = [(i, str(p), sizes[i], str(staging), keys, options) for i, p in enumerate(inputs)]
    for result in _map(jobs, options.workers, cancel):
        results.append(result)
        done += result.size
        meter.update(done, f"cleaned {len(results)} of {len(inputs)} file(s)")
    results.sort(key=lambda r: r.index)

    found = IdentifierSet()
    for value in options.extra_identifiers:
        found.add_name(value)
    for result in results:
        found.merge(result.found)
    scanner = ResidualScanner.build(found, options.min_identifier_length)
    text_scanner = TextScanner.build(found, options.min_identifier_length)
    deny = DenyList(list(found.values))  # for photos: the whole send's identifying values

    report = PeerReviewReport(inputs=len(inputs))
    released: list[tuple[ItemResult, Path]] = []
    for result in results:  # the final check, on every staged byte, text and name
        _check_cancel(cancel)
        if result.reason is None and result.staged is not None:
            final = out_dir / f"{len(released) + 1:05d}{result.ext}"
            final_check.check(result, scanner, text_scanner, deny, options.ocr)
            hit = scanner.scan_name(final.name)
            if hit and result.reason is None:
                result.reason = f"a {hit} of the patient was still found in the output name"
            if result.reason is None:
                released.append((result, final))
        report.screened_images += result.screened
        report.ocr_images += result.ocr_frames
        done += result.size
        meter.update(done, f"checked {result.index + 1} of {len(inputs)} file(s)")
        if result.reason is not None:
            source = inputs[result.index]
            cleanable = preview.hand_cleanable(source)
            report.left_out.append(LeftOut(source, result.reason, f"input {result.index + 1}", cleanable))
    _check_cancel(cancel)
    for result, final in released:  # only now does anything appear in out_dir
        assert result.staged is not None  # released results are the staged ones
        os.replace(result.staged, final)
        moved.append(final)
        report.outputs.append(final)
        report.changes.append(
            OutputChange(
                final,
                f"input {result.index + 1}",
                result.kind,
                result.actions,
                result.warnings,
                list(result.boxes),
                inputs[result.index],
            )
        )
    if scanner.skipped_short:
        report.notes.append(
            f"{scanner.skipped_short} identifying value(s) shorter than {options.min_identifier_length} "
            "characters (e.g. short name parts), or numbers under 6 digits, were not searched for by the final "
            "check: they would match almost anywhere. They were still removed wherever the profile removes them."
        )
    report.notes.append(f"final check searched every output byte and name for {scanner.searched} identifying value(s)")
    if options.keep_date_intervals:
        report.notes.append("dates were shifted by one secret offset per patient; intervals between dates are kept")
    else:
        report.notes.append("dates were removed or replaced")
    if options.keep_patient_characteristics:
        report.notes.append("sex, age, size and weight were kept as the sender asked (ages over 89 become 090Y)")
    if options.clean_descriptors:
        report.notes.append(
            "descriptions were kept where the final check found no identifying value in them (Clean Descriptors option)"
        )
    meter.update(done, "done", force=True)
    return report


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _check_cancel(cancel: CancelToken | None) -> None:
    if cancel is not None:
        cancel.raise_if_cancelled()


def _map(jobs, workers: int, cancel: CancelToken | None):
    if workers <= 1 or len(jobs) < 2:
        for job in jobs:
            _check_cancel(cancel)
            yield process_input(*job)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(process_input, *job) for job in jobs]
        try:
            for future in futures:
                _check_cancel(cancel)
                yield future.result()
        finally:
            for future in futures:
                future.cancel()
