"""The parts of an XLSX package that the readings import reads, found once and copied for calamine.

A workbook is a ZIP archive of XML parts that point at each other: the package's relationships
(``_rels/.rels``) name the workbook, the workbook's relationships name its sheets. calamine does
not follow all of that: it opens ``xl/workbook.xml``, ``xl/sharedStrings.xml`` and
``xl/styles.xml`` by fixed names, ignoring case, and takes the first part whose name matches. A
checker that finds its parts another way can be shown one sheet while calamine reads another.

So the parts are found here once, by one rule (:class:`Package`, :func:`find_book`), checked by
the caller, and calamine reads a copy made of exactly those parts (:func:`checked_copy`): the
first worksheet's XML byte for byte, the shared strings and styles, and a workbook index written
here that names that one sheet. What the file holds besides is never read.

The package must be unambiguous: two parts whose names differ only in case, or a package that
names a workbook part beside a different ``xl/workbook.xml``, refuse the file ("its parts
disagree").
"""

from __future__ import annotations

import lzma
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from posixpath import dirname, join, normpath
from typing import IO
from xml.etree import ElementTree

from backcast.services.platform.errors import InvalidInput

MAX_PART = 16 * 2**20  # bytes of the workbook's index parts (workbook, relationships, styles)
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
BOOK = "xl/workbook.xml"
STRINGS = "xl/sharedStrings.xml"
STYLES = "xl/styles.xml"
UNREADABLE = "is not a readable XLSX workbook"
DISAGREE = f"{UNREADABLE} (its parts disagree"
DAMAGED = (  # what zipfile raises for a damaged archive or member, whichever its compression
    zipfile.BadZipFile,
    OSError,
    EOFError,
    ValueError,
    KeyError,
    RuntimeError,
    NotImplementedError,
    zlib.error,
    lzma.LZMAError,
)
FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")  # ASCII only, as calamine

OFFICE = "http://schemas.openxmlformats.org"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<Types xmlns="{OFFICE}/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<Relationships xmlns="{OFFICE}/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{OFFICE}/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
BOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<Relationships xmlns="{OFFICE}/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{OFFICE}/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)
COPIED_SHEET = "Sheet1"


def book_index(date1904: bool) -> str:
    """A workbook part that lists one sheet, in the date system of the workbook it stands for."""
    system = '<workbookPr date1904="1"/>' if date1904 else "<workbookPr/>"
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<workbook xmlns="{OFFICE}/spreadsheetml/2006/main" '
        f'xmlns:r="{OFFICE}/officeDocument/2006/relationships">{system}'
        f'<sheets><sheet name="{COPIED_SHEET}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )


class Package:
    """The archive's parts by name, found as calamine finds them (ignoring ASCII case), and only
    when no two parts share a name that way."""

    def __init__(self, archive: zipfile.ZipFile, name: str) -> None:
        self.archive, self.name = archive, name
        self.parts: dict[str, zipfile.ZipInfo] = {}
        for info in archive.infolist():
            folded = info.filename.translate(FOLD)
            if folded in self.parts:
                raise InvalidInput(f"{DISAGREE}: two parts are named {info.filename})", name)
            self.parts[folded] = info

    def info(self, part: str) -> zipfile.ZipInfo | None:
        return self.parts.get(part.translate(FOLD))

    def xml(self, part: str) -> ElementTree.Element | None:
        """A small part parsed, or None when it is absent; a bad one refuses the file.

        Document type declarations are refused before parsing: no part of a workbook has one,
        and entities are the way to make a small XML expand.
        """
        info = self.info(part)
        if info is None:
            return None
        if info.file_size > MAX_PART:
            raise InvalidInput(f"{UNREADABLE} (its {part} is too big)", self.name)
        data = self.archive.read(info)
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
            raise InvalidInput(f"{UNREADABLE} (its {part} declares a document type)", self.name)
        try:
            return ElementTree.fromstring(data)  # noqa: S314 - small, and without a DTD (see above)
        except ElementTree.ParseError:
            raise InvalidInput(f"{UNREADABLE} (its {part} is damaged)", self.name) from None

    def open(self, part: str, what: str) -> IO[bytes]:
        """A part's bytes as a stream, unpacked as they are read; ``what`` names it when absent."""
        info = self.info(part)
        if info is None:
            raise InvalidInput(f"{UNREADABLE} (its {what} is missing)", self.name)
        return self.archive.open(info)

    def relationships(self, source: str) -> dict[str, tuple[str, str]]:
        """A part's relationships: id -> (type, the target's path in the archive)."""
        folder = dirname(source)
        rels = self.xml(join(folder, "_rels", source.rpartition("/")[2] + ".rels"))
        found: dict[str, tuple[str, str]] = {}
        for rel in [] if rels is None else rels:
            target = rel.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else normpath(join(folder, target))
            found[rel.get("Id", "")] = (rel.get("Type", ""), path)
        return found


@dataclass(frozen=True)
class Book:
    """What is read of a workbook: its first worksheet's part and the workbook's date system."""

    sheet: str
    date1904: bool


def find_book(package: Package) -> Book:
    """The workbook's first worksheet, as its index lists the sheets, hidden or not.

    The index is ``xl/workbook.xml`` unless the package names another part and has no such part
    (a package naming one workbook beside another is refused). A chart sheet is not a worksheet.
    """
    named = [path for kind, path in package.relationships("").values() if kind.endswith("/officeDocument")]
    part = named[0] if named else BOOK
    if part.translate(FOLD) != BOOK and package.info(BOOK) is not None:
        raise InvalidInput(
            f"{DISAGREE}: the package names {part} as its workbook, beside {BOOK})", package.name
        )
    book = package.xml(part)
    if book is None:
        raise InvalidInput(f"{UNREADABLE} (it has no workbook part)", package.name)
    rels = package.relationships(part)
    system = book.find(f"{MAIN}workbookPr")
    date1904 = system is not None and system.get("date1904", "").strip().lower() in ("1", "true")
    for sheet in book.iter(f"{MAIN}sheet"):
        rid = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), "")
        kind, path = rels.get(rid, ("", ""))
        if kind.endswith("/worksheet"):
            return Book(path, date1904)
    raise InvalidInput("has no worksheet", package.name)


@contextmanager
def checked_copy(package: Package, book: Book) -> Iterator[str]:
    """The path of a temporary workbook made of the checked parts only, removed on leaving.

    The parts are stored, not compressed again: calamine reads them from disk as they are.
    """
    with tempfile.NamedTemporaryFile(prefix="backcast-", suffix=".xlsx") as out:
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as copy:
            copy.writestr("[Content_Types].xml", CONTENT_TYPES)
            copy.writestr("_rels/.rels", PACKAGE_RELS)
            copy.writestr(BOOK, book_index(book.date1904))
            copy.writestr("xl/_rels/workbook.xml.rels", BOOK_RELS)
            for part, target, what in (
                (book.sheet, "xl/worksheets/sheet1.xml", "first sheet"),
                (STRINGS, STRINGS, ""),
                (STYLES, STYLES, ""),
            ):
                if not what and package.info(part) is None:
                    continue  # shared strings and styles are optional
                with package.open(part, what) as source, copy.open(target, "w", force_zip64=True) as sink:
                    shutil.copyfileobj(source, sink, 2**20)
        out.flush()
        yield out.name
