"""The study browser: the library as patient → study → series, with each series' modality, description, image
count, size and the thumbnail of its middle image; the instance list appears only when a series is opened.

Selection works at every level of the tree (several patients, studies or series at once), and within an
opened series on its instances. "Selected" in FTPSend means the selected instances when a series is open and
some are selected, else everything under the selected tree items; "All Documents" means the current study
(or the current patient's documents when a patient is current). Reading the tree costs one query for the
series rows (kept up to date by the library), never a scan of all documents, so a 2000-slice CT is one row.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sodclient.library import Document
from sodclient.ui.common import human_size
from sodclient.ui.worker import Job

PATIENT, CASE, SERIES = 1, 2, 3
_ROLE = Qt.UserRole
_SORT_ROLE = Qt.UserRole + 1  # a column's value to sort by where its text would sort wrongly (counts, sizes)
# Columns after the name; the patient's columns are empty on study and series rows, and the other way round.
COLUMNS = ["Patients, studies and series", "Modality", "Images", "Size", "Patient ID", "Born", "Sex", "Study date"]
_SEX = {"M": "male", "F": "female", "O": "other"}
_MAX_ROW_ICONS = 300  # instance rows that get a thumbnail (opening 5000 images decodes 300)
_MAX_SERIES_ICONS = 200  # series rows that get the thumbnail of their middle image
_TABLE_RESIZE_LIMIT = 500  # above this many rows, columns are not measured (it would stall the window)
_FILL_SLICE = 100  # instance rows created per turn of the event loop
_READ_IN_BACKGROUND = 300  # series with more instances are read from the library by a background job


def _day(yyyymmdd: str) -> str:
    return f"{yyyymmdd[:4]}-{yyyymmdd[4:6]}-{yyyymmdd[6:8]}" if len(yyyymmdd) == 8 else ""


class _Item(QTreeWidgetItem):
    """A tree row that sorts counts and sizes as numbers when the user sorts by a column."""

    def __lt__(self, other: QTreeWidgetItem) -> bool:
        column = self.treeWidget().sortColumn() if self.treeWidget() else 0
        mine, theirs = self.data(column, _SORT_ROLE), other.data(column, _SORT_ROLE)
        if mine is not None and theirs is not None:
            return mine < theirs
        return self.text(column).casefold() < other.text(column).casefold()


def _thumbnail(doc: Document, thumbs_dir):
    from sodclient.library.imaging import thumbnail  # numpy/pydicom load on first use, not at start

    return thumbnail(doc.path, doc.media_type, thumbs_dir, doc.sha256)


class LibraryView(QWidget):
    """The main window's centre: the browser tree, the opened series' instances, and a preview."""

    selection_changed = Signal()
    current_changed = Signal()  # another patient, study or series became current
    series_opened = Signal(object)  # the series id, or None when closed

    def __init__(self, library, parent: QWidget | None = None):
        super().__init__(parent)
        self.library = library
        self._docs: list[Document] = []
        self.opened_series: int | None = None
        self._series_by_id: dict = {}
        self._icons_job: Job | None = None
        self._series_icons_job: Job | None = None
        self._thumb_job: Job | None = None
        self._open_job: Job | None = None

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search by patient name, patient ID or date (for example 1970-01-01)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.apply_search)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.header().setSortIndicator(-1, Qt.AscendingOrder)  # as filed until the user clicks a column
        self.tree.setSortingEnabled(True)
        self.tree.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.tree.setIconSize(QSize(40, 40))
        self.tree.setUniformRowHeights(False)
        self.tree.header().setSectionResizeMode(0, QHeaderView.Stretch)
        self.tree.header().setStretchLastSection(False)
        self.tree.itemSelectionChanged.connect(self._tree_selection_changed)
        self.tree.itemActivated.connect(self._activated)
        self.tree.currentItemChanged.connect(lambda *_: self.current_changed.emit())

        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["Document", "Type", "Series", "Size", "Modality"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setIconSize(QSize(32, 32))
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.series_title = QLabel()
        self.close_series_button = QPushButton("Close Series")
        self.close_series_button.clicked.connect(self.close_series)
        self.instances = QWidget()
        il = QVBoxLayout(self.instances)
        il.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.addWidget(self.series_title, 1)
        head.addWidget(self.close_series_button)
        il.addLayout(head)
        il.addWidget(self.table, 1)
        self.instances.hide()

        self.preview = QLabel("No document selected", alignment=Qt.AlignCenter)
        self.preview.setMinimumWidth(180)
        self.preview_info = QLabel(alignment=Qt.AlignCenter)
        self.preview_info.setWordWrap(True)
        side = QWidget()
        sl = QVBoxLayout(side)
        sl.addWidget(self.preview, 1)
        sl.addWidget(self.preview_info)
        self.side_layout = sl  # the main window adds the case's conversation below the preview

        browser = QWidget()
        bl = QVBoxLayout(browser)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.addWidget(self.search)
        bl.addWidget(self.tree, 1)
        left = QSplitter(Qt.Vertical)
        left.addWidget(browser)
        left.addWidget(self.instances)
        left.setStretchFactor(0, 2)
        left.setStretchFactor(1, 3)
        split = QSplitter(Qt.Horizontal)
        split.addWidget(left)
        split.addWidget(side)
        split.setStretchFactor(0, 3)
        split.setSizes([820, 280])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)

    # -- the tree ------------------------------------------------------------------------------------
    def blank(self) -> None:
        """Shows no patient data at all (the app is locked); refresh() fills the browser again, on the same study
        and opened series."""
        self._restore = (self.current_case_id(), self.opened_series)
        for job in self.jobs():
            job.cancel()
        self.tree.blockSignals(True)
        self.tree.clear()
        self.tree.blockSignals(False)
        self._series_by_id = {}
        self.opened_series = None
        self._docs = []
        self.table.setRowCount(0)
        self.instances.hide()
        self.series_title.clear()
        self.preview.clear()
        self.preview.setText("")
        self.preview_info.clear()
        self._previewed = None

    def refresh(self, select_case: int | None = None) -> None:
        restore_case, restore_series = getattr(self, "_restore", (None, None))
        self._restore = (None, None)
        keep = select_case if select_case is not None else (self.current_case_id() or restore_case)
        keep_patient = self.current_patient_id()
        opened = self.opened_series or restore_series
        series_by_case: dict[int, list] = {}
        for s in self.library.series():
            series_by_case.setdefault(s.case_id, []).append(s)
        self._series_by_id = {s.id: s for group in series_by_case.values() for s in group}
        self.tree.blockSignals(True)
        self.tree.setUpdatesEnabled(False)
        self.tree.clear()
        chosen = reopen = None
        series_items = []
        for p in self.library.patients():
            shown_id = "" if p.patient_key.startswith("SOD-") else p.patient_key  # the app's own keys are no IDs
            pi = _Item([p.name, "", "", "", shown_id, _day(p.birth_date), _SEX.get(p.sex, p.sex)])
            pi.setData(0, _ROLE, (PATIENT, p.id))
            self.tree.addTopLevelItem(pi)
            if keep is None and keep_patient == p.id:
                chosen = pi
            for c in self.library.cases(p.id):
                date = f"{c.date[:4]}-{c.date[4:6]}-{c.date[6:8]}  " if len(c.date) == 8 else ""
                group = series_by_case.get(c.id, [])
                modalities = "/".join(dict.fromkeys(s.modality for s in group if s.modality))
                count, size = sum(s.count for s in group), sum(s.size for s in group)
                ci = _Item(
                    [f"{date}{c.description}", modalities, str(count), human_size(size), "", "", "", _day(c.date)]
                )
                ci.setData(2, _SORT_ROLE, count)
                ci.setData(3, _SORT_ROLE, size)
                ci.setData(0, _ROLE, (CASE, c.id))
                pi.addChild(ci)
                for s in group:
                    title = "Documents" if s.is_documents else (s.description or "Series")
                    si = _Item([title, s.modality, str(s.count), human_size(s.size)])
                    si.setData(2, _SORT_ROLE, s.count)
                    si.setData(3, _SORT_ROLE, s.size)
                    si.setData(0, _ROLE, (SERIES, s.id))
                    si.setToolTip(0, "Double-click to open the series")
                    ci.addChild(si)
                    series_items.append((si, s))
                    if s.id == opened:
                        reopen = si
                if c.id == keep:
                    chosen = ci
                    ci.setExpanded(True)
            pi.setExpanded(True)
        for col in range(1, len(COLUMNS)):
            self.tree.resizeColumnToContents(col)
        self.apply_search()
        self.tree.setUpdatesEnabled(True)
        self.tree.blockSignals(False)
        if chosen is None and self.tree.topLevelItemCount():
            first = self.tree.topLevelItem(0)
            chosen = first.child(0) if first.childCount() else first
        if reopen is not None and (chosen is None or reopen.parent() is chosen):
            chosen = reopen  # the opened series stays open (and current) across a refresh
        else:
            reopen = None
        if chosen is not None:
            self.tree.setCurrentItem(chosen)
            chosen.setSelected(True)
        if reopen is not None:
            self.open_series(opened)
        else:
            self.close_series()
        self._tree_selection_changed()
        self._load_series_icons(series_items)

    def apply_search(self, _text: str = "") -> None:
        """Shows the patients whose name, ID or birth date matches, with all their studies, and the studies
        whose date or description matches under their patient; an empty search shows everything."""
        query = self.search.text().strip().casefold()
        compact = query.replace("-", "")
        for i in range(self.tree.topLevelItemCount()):
            patient = self.tree.topLevelItem(i)
            fields = [patient.text(0), patient.text(4), patient.text(5), patient.text(5).replace("-", "")]
            patient_hit = not query or any(query in f.casefold() or (compact and compact in f) for f in fields)
            any_study = False
            for j in range(patient.childCount()):
                study = patient.child(j)
                text = f"{study.text(0)} {study.text(7)} {study.text(7).replace('-', '')}".casefold()
                hit = patient_hit or query in text or bool(compact and compact in text)
                study.setHidden(not hit)
                any_study = any_study or hit
            patient.setHidden(not (patient_hit or any_study))

    def _item_key(self, item: QTreeWidgetItem | None):
        return item.data(0, _ROLE) if item is not None else None

    def current_case_id(self) -> int | None:
        key = self._item_key(self.tree.currentItem())
        if not key:
            return None
        if key[0] == CASE:
            return key[1]
        if key[0] == SERIES:
            s = self._series_by_id.get(key[1])
            return s.case_id if s else None
        return None

    def current_patient_id(self) -> int | None:
        key = self._item_key(self.tree.currentItem())
        if not key:
            return None
        if key[0] == PATIENT:
            return key[1]
        case_id = self.current_case_id()
        case = self.library.case(case_id) if case_id else None
        return case.patient_id if case else None

    def select_case(self, case_id: int) -> bool:
        for i in range(self.tree.topLevelItemCount()):
            p = self.tree.topLevelItem(i)
            for j in range(p.childCount()):
                if self._item_key(p.child(j)) == (CASE, case_id):
                    self.tree.setCurrentItem(p.child(j))
                    return True
        return False

    def series_items(self) -> list[QTreeWidgetItem]:
        out = []
        for i in range(self.tree.topLevelItemCount()):
            p = self.tree.topLevelItem(i)
            for j in range(p.childCount()):
                c = p.child(j)
                out += [c.child(k) for k in range(c.childCount())]
        return out

    # -- what FTPSend and the other actions work on -------------------------------------------------
    def current_documents(self) -> list[Document]:
        """ "All Documents": the current study, or all documents of the current patient."""
        key = self._item_key(self.tree.currentItem())
        if not key:
            return []
        if key[0] == PATIENT:
            return self.library.documents(patient_id=key[1])
        case_id = self.current_case_id()
        return self.library.documents(case_id=case_id) if case_id is not None else []

    def selected_documents(self) -> list[Document]:
        """ "Selected": instances selected in the opened series, else everything under the selected tree items."""
        if self.opened_series is not None and self.table.selectionModel() is not None:
            rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
            if rows:
                return [self._docs[r] for r in rows]
        seen: set[int] = set()
        out: list[Document] = []
        for item in self._selected_items_in_tree_order():
            kind, ident = self._item_key(item)
            if kind == PATIENT:
                docs = self.library.documents(patient_id=ident)
            elif kind == CASE:
                docs = self.library.documents(case_id=ident)
            else:
                docs = self.library.series_documents(ident)
            for d in docs:
                if d.id not in seen:
                    seen.add(d.id)
                    out.append(d)
        return out

    def _selected_items_in_tree_order(self) -> list[QTreeWidgetItem]:
        chosen = set(map(id, self.tree.selectedItems()))
        out = []

        def walk(item: QTreeWidgetItem) -> None:
            if id(item) in chosen:
                out.append(item)
                return  # a selected parent already covers its children
            for k in range(item.childCount()):
                walk(item.child(k))

        for i in range(self.tree.topLevelItemCount()):
            walk(self.tree.topLevelItem(i))
        return out

    # -- an opened series ----------------------------------------------------------------------------
    def _activated(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        key = self._item_key(item)
        if key and key[0] == SERIES:
            self.open_series(key[1])

    def open_series(self, series_id: int) -> None:
        """Shows the series' instances; a large series is read from the library off the GUI thread."""
        s = self._series_by_id.get(series_id)
        if s is None:
            return
        self.opened_series = series_id
        what = "Documents" if s.is_documents else " · ".join(x for x in (s.modality, s.description) if x)
        self.series_title.setText(f"<b>{what}</b> — {s.count} document(s), {human_size(s.size)}")
        self.instances.show()
        if s.count <= _READ_IN_BACKGROUND:
            self._show_instances(series_id, self.library.series_documents(series_id))
            return
        self._docs = []
        self.table.setRowCount(0)
        lib = self.library
        job = Job(lambda progress, cancel: lib.series_documents(series_id), self, title="open series")
        job.succeeded.connect(lambda docs: self._show_instances(series_id, docs))
        self._open_job = job
        job.start()

    def _show_instances(self, series_id: int, docs: list[Document]) -> None:
        if self.opened_series != series_id:
            return  # closed or another series opened meanwhile
        self._docs = docs
        self._fill_table()
        self.series_opened.emit(series_id)

    def close_series(self) -> None:
        was_open = self.opened_series is not None
        self.opened_series = None
        self._docs = []
        self.table.setRowCount(0)
        self.instances.hide()
        if was_open:
            self.series_opened.emit(None)
            self._selection_changed()

    def open_selected_series(self) -> bool:
        """Opens the series when exactly one series is selected in the tree (Enter / View)."""
        keys = [self._item_key(i) for i in self.tree.selectedItems()]
        if len(keys) == 1 and keys[0][0] == SERIES:
            self.open_series(keys[0][1])
            return True
        return False

    def open_series_of_case(self, case_id: int, index: int = 0) -> int | None:
        """Opens a case's n-th series (tests, and the study selected after an import)."""
        group = [s for s in self._series_by_id.values() if s.case_id == case_id]
        if len(group) <= index:
            return None
        self.open_series(group[index].id)
        return group[index].id

    def _fill_table(self) -> None:
        """The first rows at once, the rest in slices between events, so a 2000-image series never freezes
        the window (10000 cells take ~300 ms to create)."""
        t = self.table
        self._fill_serial = getattr(self, "_fill_serial", 0) + 1
        t.blockSignals(True)
        t.clearSelection()
        t.setRowCount(len(self._docs))
        t.blockSignals(False)
        self._fill_rows(self._fill_serial, 0)
        if len(self._docs) <= _TABLE_RESIZE_LIMIT:
            t.resizeColumnsToContents()
        t.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        self._selection_changed()
        self._load_row_icons()

    def _fill_rows(self, serial: int, start: int) -> None:
        if serial != self._fill_serial:
            return  # another series was opened meanwhile
        t, end = self.table, min(len(self._docs), start + _FILL_SLICE)
        t.setUpdatesEnabled(False)
        for r in range(start, end):
            d = self._docs[r]
            kind = "DICOM" if d.is_dicom else d.media_type.split("/")[-1].upper()
            series = d.series_description + (f" #{d.instance_number}" if d.instance_number is not None else "")
            for col, text in enumerate((d.title, kind, series, human_size(d.size), d.modality)):
                t.setItem(r, col, QTableWidgetItem(text))
        t.setUpdatesEnabled(True)
        if end < len(self._docs):
            QTimer.singleShot(0, lambda: self._fill_rows(serial, end))

    def select_rows(self, rows: list[int]) -> None:
        self.table.clearSelection()
        mode = self.table.selectionMode()
        self.table.setSelectionMode(QAbstractItemView.MultiSelection)
        for r in rows:
            self.table.selectRow(r)
        self.table.setSelectionMode(mode)

    # -- thumbnails (made in the background, cached by content hash) -------------------------------
    def _load_series_icons(self, items: list) -> None:
        wanted = [(si, s) for si, s in items if not s.is_documents][:_MAX_SERIES_ICONS]
        if not wanted:
            return
        lib = self.library
        ids = [s.id for _, s in wanted]

        def make_all(progress, cancel):
            out = {}
            for sid in ids:
                cancel.raise_if_cancelled()
                doc = lib.middle_document(sid)
                if doc is not None and (doc.is_dicom or doc.is_image):
                    out[sid] = _thumbnail(doc, lib.thumbs_dir)
            return out

        if self._series_icons_job is not None:
            self._series_icons_job.cancel()
        job = Job(make_all, self, title="series thumbnails")
        job.succeeded.connect(self._show_series_icons)
        job.failed.connect(lambda exc: None)  # a thumbnail that cannot be made is simply not shown
        self._series_icons_job = job
        job.start()

    def _show_series_icons(self, paths: dict) -> None:
        for item in self.series_items():
            key = self._item_key(item)
            if key and paths.get(key[1]):
                item.setIcon(0, QIcon(str(paths[key[1]])))

    def _load_row_icons(self) -> None:
        docs, lib = list(self._docs)[:_MAX_ROW_ICONS], self.library
        if not any(d.is_dicom or d.is_image for d in docs):
            return

        def make_all(progress, cancel):
            out = {}
            for d in docs:
                cancel.raise_if_cancelled()
                if d.is_dicom or d.is_image:
                    out[d.id] = _thumbnail(d, lib.thumbs_dir)
            return out

        if self._icons_job is not None:
            self._icons_job.cancel()
        job = Job(make_all, self, title="thumbnails")
        job.succeeded.connect(lambda paths, shown=docs: self._show_row_icons(shown, paths))
        job.failed.connect(lambda exc: None)
        self._icons_job = job
        job.start()

    def _show_row_icons(self, shown: list[Document], paths: dict) -> None:
        if [d.id for d in shown] != [d.id for d in self._docs[: len(shown)]]:
            return  # the view changed meanwhile
        for row, d in enumerate(shown):
            item = self.table.item(row, 0)
            if paths.get(d.id) and item is not None:
                item.setIcon(QIcon(str(paths[d.id])))

    # -- the preview ---------------------------------------------------------------------------------
    def _tree_selection_changed(self) -> None:
        if self.opened_series is not None:
            key = self._item_key(self.tree.currentItem())
            if not (key and key == (SERIES, self.opened_series)):
                self.close_series()
        self._selection_changed()

    def _selection_changed(self) -> None:
        self.selection_changed.emit()
        instance_rows = (
            self.opened_series is not None
            and self.table.selectionModel() is not None
            and bool(self.table.selectionModel().selectedRows())
        )
        if instance_rows:
            docs = [self._docs[i.row()] for i in self.table.selectionModel().selectedRows()]
            if len(docs) == 1:
                self._preview(docs[0], f"{docs[0].title}\n{human_size(docs[0].size)}")
                return
            self._no_preview(f"{len(docs)} documents selected")
            return
        items = self.tree.selectedItems()
        keys = [self._item_key(i) for i in items]
        if len(keys) == 1 and keys[0][0] == SERIES:
            s = self._series_by_id.get(keys[0][1])
            doc = self.library.middle_document(s.id) if s else None
            if doc is not None:
                what = " · ".join(x for x in (s.modality, s.description) if x) or "Documents"
                self._preview(doc, f"{what}\n{s.count} document(s), {human_size(s.size)}")
                return
        if not items:
            self._no_preview("No document selected")
        else:
            self._no_preview(f"{len(items)} item(s) selected")

    def _no_preview(self, text: str) -> None:
        self.preview.setPixmap(QPixmap())
        self.preview.setText(text)
        self.preview_info.setText("")

    def _preview(self, doc: Document, info: str) -> None:
        self.preview_info.setText(info)
        self.preview.setText("…")
        lib = self.library
        job = Job(lambda progress, cancel: _thumbnail(doc, lib.thumbs_dir), self, title="preview")
        job.succeeded.connect(lambda path, d=doc: self._show_thumb(d, path))
        job.failed.connect(lambda exc: self.preview.setText("No preview for this document"))
        self._thumb_job = job
        self._previewed = doc.id
        job.start()

    def _show_thumb(self, doc: Document, path) -> None:
        if getattr(self, "_previewed", None) != doc.id:
            return
        if path:
            self.preview.setPixmap(QPixmap(str(path)))
        else:
            self.preview.setText("No preview for this document")

    def jobs(self) -> list[Job]:
        return [j for j in (self._icons_job, self._series_icons_job, self._thumb_job, self._open_job) if j is not None]
