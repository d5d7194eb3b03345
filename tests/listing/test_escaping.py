"""Issue 13: the listing writer escapes every value (hrefs, ETags, calendar-data) and stays well-formed.

Values go into serialised templates as text; a name with & < > and quotes, an ETag with
markup and calendar-data with ``]]>`` and ``<`` must come back exactly as stored once the
client parses the XML, with the iCalendar's CRLF intact.
"""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from lxml import etree

from caldav_endpoint import davxml
from scheduler.models import Appointment
from tests.caldav.conftest import NS, body, event, request

pytestmark = pytest.mark.django_db

HOSTILE_NAME = "a&b<c>\"d'e ]]>.ics"
HOSTILE_ETAG = 'x"&<y>]]>'
HOSTILE_SUMMARY = "Sehtest ]]> <b>fett</b> & \"so\" 'weiter'"


def _put_hostile(client, dav) -> str:
    href = dav.path(dav.room, "a&b%3Cc%3E%22d'e%20%5D%5D%3E.ics")
    ics = event(uid="hostile-1", summary=HOSTILE_SUMMARY)
    resp = request(client, "PUT", href, ics, content_type="text/calendar")
    assert resp.status_code == 201, resp.content
    Appointment.objects.filter(uid="hostile-1").update(etag=HOSTILE_ETAG)
    return ics


@pytest.mark.parametrize("streamed", [False, True])
@pytest.mark.parametrize("kind", ["propfind", "sync", "multiget"])
def test_hostile_names_etags_and_data_come_back_exactly(client, dav, settings, streamed, kind):
    ics = _put_hostile(client, dav)
    if streamed:
        settings.CALDAV_STREAM_CHUNK = 64
    cal = dav.path(dav.room)
    if kind == "propfind":
        resp = request(client, "PROPFIND", cal, '<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop>'
                       "</D:propfind>", depth="1")
    else:
        prop = "<D:prop><D:getetag/><C:calendar-data/></D:prop>"
        req = (f'<D:sync-collection xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:sync-token/>'
               f"<D:sync-level>1</D:sync-level>{prop}</D:sync-collection>")
        if kind == "multiget":
            href = davxml.escape(dav.path(dav.room, "a&b%3Cc%3E%22d'e%20%5D%5D%3E.ics"))
            req = (f'<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">{prop}'
                   f"<D:href>{href}</D:href></C:calendar-multiget>")
        resp = request(client, "REPORT", cal, req)
    assert resp.status_code == 207 and resp.streaming == streamed
    root = etree.fromstring(body(resp))  # well-formed, or this raises
    [obj] = [r for r in root.findall("D:response", NS) if r.findtext("D:href", namespaces=NS) != cal]
    assert unquote(obj.findtext("D:href", namespaces=NS)) == dav.path(dav.room, HOSTILE_NAME)
    assert obj.findtext(".//D:getetag", namespaces=NS) == f'"{HOSTILE_ETAG}"'
    if kind != "propfind":
        data = obj.findtext(".//C:calendar-data", namespaces=NS)
        assert data == ics and "\r\n" in data  # byte for byte, CRLF included
        assert f"SUMMARY:{HOSTILE_SUMMARY}" in data


def test_escape_matches_lxml():
    for text in ["plain", "a&b<c>d", "]]>", 'q"uo\'te', "line\r\nnext\r\n", "tab\tü€𝄞"]:
        el = etree.Element("x")
        el.text = text
        assert f"<x>{davxml.escape(text)}</x>".encode() == etree.tostring(el, encoding="utf-8")


def test_characters_xml_cannot_carry_become_replacement_characters():
    # lxml refuses them; a stored object with one must not break the whole listing
    assert davxml.escape("a\x00b\x0bc\ufffe") == "a\ufffdb\ufffdc\ufffd"
    root = etree.fromstring(("<x>" + davxml.escape("bad\x01byte") + "</x>").encode())
    assert root.text == "bad\ufffdbyte"


def _fill(template: davxml.ResponseTemplate, values: list[str]) -> str:
    """One object's response: ``fill_all`` of columns one value deep."""
    [text] = template.fill_all([[v] for v in values])
    return text


def _template(third_slot: tuple[str, str]) -> davxml.ResponseTemplate:
    """A response with the href's last segment, the ETag and a third property in slots 0, 1, 2."""
    root = davxml.multistatus()
    props = [davxml.element(davxml.DAV, "getetag", davxml.slot(1)), davxml.element(*third_slot, davxml.slot(2))]
    davxml.response(root, "/cal/" + davxml.slot(0), {200: props})
    return davxml.ResponseTemplate(root, 3)


def test_template_slots_are_escaped_and_counted():
    root = davxml.multistatus()
    davxml.response(root, davxml.slot(0), {200: [davxml.element(davxml.DAV, "getetag", davxml.slot(1))]})
    template = davxml.ResponseTemplate(root, 2)
    xml = davxml.HEAD + _fill(template, ["/a&b/{0}", '"<e>"']) + davxml.TAIL
    parsed = etree.fromstring(xml.encode())
    assert parsed.findtext("D:response/D:href", namespaces=NS) == "/a&b/{0}"
    assert parsed.findtext(".//D:getetag", namespaces=NS) == '"<e>"'
    with pytest.raises(ValueError):
        template.fill_all([["/only-href"]])


def _is_xml_char(code: int) -> bool:
    """XML 1.0 §2.2 Char, as the specification writes it."""
    return (code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD
            or 0x10000 <= code <= 0x10FFFF)


def test_the_escape_patterns_cover_exactly_what_xml_cannot_carry_and_markup():
    # the patterns are spelled as the (fast) complement of Char: every code point is checked against the spec
    every = "".join(map(chr, range(0x110000)))
    not_xml = {chr(c) for c in range(0x110000) if not _is_xml_char(c)}
    assert set(davxml._NOT_XML.findall(every)) == not_xml
    assert set(davxml._ESCAPE.findall(every)) == not_xml | {"&", "<", ">", "\r"}


def test_the_ascii_check_finds_what_the_expression_finds():
    # most calendar data is ASCII and is checked by bytes.translate: each character below U+0080, alone
    # and inside CRLF-ended text, is judged as the expression judges it, and escaped the same way
    for code in range(0x80):
        for text in (chr(code), f"BEGIN:VCALENDAR\r\nSUMMARY:a{chr(code)}b\r\nEND:VCALENDAR\r\n"):
            assert text.isascii()
            assert davxml._has_not_xml(text) == bool(davxml._NOT_XML.search(text)), hex(code)
            assert davxml.escape(text) == davxml._NOT_XML.sub("\ufffd", text.replace("&", "&amp;").replace(
                "<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;"))
    assert davxml._has_not_xml("ü\x01") and not davxml._has_not_xml("ü\r\n")  # the expression, past ASCII


def test_a_row_with_one_value_to_escape_escapes_that_value_only_and_never_formats_a_value():
    # which values need escaping is decided per column: every combination must still parse back
    template = _template((davxml.DAV, "getcontentlength"))
    for values in (["{0}{x}.ics", '"e&t"', "7"], ["plain.ics", '"etag"', "{1}"], ["a\x00.ics", '"\ud800"', "1"]):
        parsed = etree.fromstring((davxml.HEAD + _fill(template, values) + davxml.TAIL).encode())
        got = [parsed.findtext(f".//D:{name}", namespaces=NS) for name in ("href", "getetag", "getcontentlength")]
        as_sent = [davxml._NOT_XML.sub("\ufffd", v) for v in values]  # characters XML cannot carry: U+FFFD
        assert got == ["/cal/" + as_sent[0], *as_sent[1:]]


# values that meet each branch of ``escape_all``: markup, CR, NUL (its separator), characters XML cannot
# carry (ASCII and not), non-ASCII text, empty strings
ESCAPE_ALL_CASES = [
    [],
    ["only&one"],
    ["plain.ics", "other.ics", ""],
    ['"etag"', "a&b", "<c>", "line\r\nnext\r\n"],
    ["BEGIN:VEVENT\r\nSUMMARY:Müller & Söhne <3\r\nEND:VEVENT\r\n", "BEGIN:VEVENT\r\nSUMMARY:ok\r\nEND:VEVENT\r\n"],
    ["a\x00b", "c&d"],  # a value holding the separator
    ["\x00", "\x00", ""],
    ["bad\x01byte\r\n", "fine\r\n", "also\x1f"],
    ["日本\ufffe", "€ & \ud800", "ok"],
    ["]]>", "", "&amp;"],
]


@pytest.mark.parametrize("values", ESCAPE_ALL_CASES)
def test_escape_all_is_escape_of_each(values):
    assert davxml.escape_all(values) == [davxml.escape(v) for v in values]


def test_many_objects_are_filled_as_each_alone():
    # a batch's columns are escaped joined (``escape_all``), one object's value by value
    template = _template((davxml.CALDAV, "calendar-data"))
    rows = [["a.ics", '"1"', "X\r\n"], ["b&c.ics", '"<2>"', "Y & Z\x01\r\n"], ["{0}.ics", '"3"', ""]]
    assert template.fill_all([list(column) for column in zip(*rows, strict=True)]) == [_fill(template, r) for r in rows]
    assert template.fill_all([[], [], []]) == []
    with pytest.raises(ValueError):
        template.fill_all([["a.ics"], ['"1"']])
