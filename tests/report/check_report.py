#!/usr/bin/env python3
"""Checks tunepilot's reports and exports with code independent of tunepilot's.

  check_report.py html FILE [CHART=LABEL:POINTS|LABEL:POINTS ...]
      well-formed (an XML parser reads the whole page), no duplicate ids, every
      aria-labelledby target exists, every chart is an <svg role="img"> with a
      <title> and <desc> and a data table beside it, every <th> has a scope,
      headings do not skip levels, nothing external (no script, src, link,
      @import or url() other than #fragments); and each named chart has
      exactly the listed series, each with that many points actually drawn.
  check_report.py browser CHROMIUM FILE OUTDIR NAME [--full]
      loads the page in headless Chromium: no console messages, no requests
      (Resource Timing), no text outside its chart or box (measured in the
      page's layout), then a screenshot; with --full also one in dark mode
      and the page printed to PDF.
  check_report.py tfevents FILE RUN.json
      reads a TensorBoard event file record by record: every length and data
      CRC (CRC-32C, masked), every Event field; compares the scalars with the
      run's metrics (tunepilot runs show ID --json).
  check_report.py hfstate FILE RUN.json FIELDS.json
      checks trainer_state.json against the TrainerState field list.
Exit status 0 when every check passes; each failure is printed."""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

XHTML = "{http://www.w3.org/1999/xhtml}"
SVG = "{http://www.w3.org/2000/svg}"
FAILS = []


def fail(msg):
    FAILS.append(msg)
    print("FAIL: " + msg)


def local(tag):
    return tag.split("}", 1)[-1]


# --- html ---------------------------------------------------------------------------

def check_html(path, expects):
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        fail("%s: not well-formed: %s" % (path, e))
        return
    text = open(path, encoding="utf-8").read()
    ids = {}
    for el in root.iter():
        i = el.get("id")
        if i is not None:
            if i in ids:
                fail("duplicate id %r" % i)
            ids[i] = el
    for el in root.iter():
        for ref in (el.get("aria-labelledby") or "").split():
            if ref not in ids:
                fail("aria-labelledby names a missing id %r" % ref)
        tag = local(el.tag)
        if tag in ("script", "iframe", "object", "embed", "link", "img"):
            fail("external or scripted element <%s>" % tag)
        if el.get("src") is not None:
            fail("src attribute on <%s>" % tag)
        href = el.get("href")
        if href is not None and tag != "a":
            fail("href on <%s>" % tag)
        for k, v in el.attrib.items():
            if local(k).startswith("on"):
                fail("event handler %s on <%s>" % (k, tag))
            if "url(" in v and not re.fullmatch(r"url\(#[\w-]+\)", v):
                fail("external url() in %s=%r" % (k, v))
        if tag == "th" and el.get("scope") not in ("col", "row", "colgroup", "rowgroup"):
            fail("<th> without scope: %r" % "".join(el.itertext()))
    style = "".join("".join(s.itertext()) for s in root.iter(XHTML + "style"))
    if "@import" in style or re.search(r"url\((?!#)", style):
        fail("the stylesheet fetches something")
    if root.find(".//" + XHTML + "title") is None or root.get("lang") is None:
        fail("no <title> or no lang")
    # headings: one h1, no skipped level
    levels = [int(local(e.tag)[1]) for e in root.iter() if re.fullmatch(r"h[1-6]", local(e.tag))]
    if levels.count(1) != 1 or not levels or levels[0] != 1:
        fail("expected one <h1> first, got levels %s" % levels[:5])
    for a, b in zip(levels, levels[1:]):
        if b > a + 1:
            fail("heading level skips from h%d to h%d" % (a, b))
    # charts: accessible, each beside its data table
    svgs = list(root.iter(SVG + "svg"))
    if not svgs:
        fail("no charts")
    for s in svgs:
        sid = s.get("id")
        if s.get("role") != "img" or not s.get("aria-labelledby"):
            fail("chart %s: no role=img / aria-labelledby" % sid)
        t, d = s.find(SVG + "title"), s.find(SVG + "desc")
        if t is None or d is None or not (t.text or "").strip() or not (d.text or "").strip():
            fail("chart %s: no <title> or <desc>" % sid)
        if not s.get("viewBox"):
            fail("chart %s: no viewBox" % sid)
    for fig in root.iter(XHTML + "figure"):
        if fig.find(".//" + SVG + "svg") is None or fig.find(".//" + XHTML + "table") is None:
            fail("a <figure> without both a chart and its data table")
    # the series drawn
    for chart, series in expects.items():
        s = ids.get(chart)
        if s is None or local(s.tag) != "svg":
            fail("no chart with id %r" % chart)
            continue
        got = []
        for g in s.iter(SVG + "g"):
            if "series" not in (g.get("class") or "").split():
                continue
            n = int(g.get("data-points"))
            drawn = None
            pl = g.find(SVG + "polyline")
            if pl is not None:
                drawn = len(pl.get("points").split())
            elif g.find(SVG + "rect") is not None:
                drawn = len([r for r in g.findall(SVG + "rect") if "seg" in r.get("class", "")])
            else:
                mk = g.find(SVG + "g")
                drawn = len(list(mk)) if mk is not None else 0
            if drawn != n:
                fail("chart %s series %r: says %d points, draws %d" % (chart, g.get("data-series"), n, drawn))
            got.append((g.get("data-series"), n))
        if got != series:
            fail("chart %s: series %s, expected %s" % (chart, got, series))
    print("html %s: %d charts, %d ids, %d tables" % (
        os.path.basename(path), len(svgs), len(ids), len(list(root.iter(XHTML + "table")))))


def parse_expect(args):
    out = {}
    for a in args:
        chart, rest = a.split("=", 1)
        out[chart] = [(s.rsplit(":", 1)[0], int(s.rsplit(":", 1)[1])) for s in rest.split("|")]
    return out


# --- browser ------------------------------------------------------------------------

PROBE = r"""
<script>
(function () {
  var out = {texts: 0, clipped: [], overflow: [], resources: 0, series: {}};
  out.resources = performance.getEntriesByType('resource').length;
  var charts = document.querySelectorAll('svg.chart');
  charts.forEach(function (svg) {
    var box = svg.getBoundingClientRect();
    svg.querySelectorAll('text').forEach(function (t) {
      out.texts++;
      var r = t.getBoundingClientRect();
      if (r.width === 0 || r.left < box.left - 0.5 || r.right > box.right + 0.5 ||
          r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5)
        out.clipped.push(svg.id + ': "' + t.textContent + '"');
    });
    out.series[svg.id] = Array.prototype.map.call(svg.querySelectorAll('g.series'),
      function (g) { return [g.getAttribute('data-series'), +g.getAttribute('data-points')]; });
  });
  document.querySelectorAll('main p, main dd, main h1, main h2, main h3, figcaption, .scroll')
    .forEach(function (e) {
      /* the data tables in <details> may scroll sideways: they are closed by default */
      if (!e.closest('details') && e.scrollWidth > e.clientWidth + 1)
        out.overflow.push(e.tagName + '.' + e.className + ': ' + e.textContent.slice(0, 60));
    });
  var pre = document.createElement('pre');
  pre.id = 'tp-probe';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>
"""

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
         "--host-resolver-rules=MAP * ~NOTFOUND"]


def chromium(exe, args, profile, timeout=90):
    cmd = [exe] + FLAGS + ["--user-data-dir=" + profile] + args
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def check_browser(exe, path, outdir, name, full):
    os.makedirs(outdir, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="tp-browser-")
    try:
        page = open(path, encoding="utf-8").read()
        probe = os.path.join(tmp, "probe.html")
        with open(probe, "w", encoding="utf-8") as f:
            f.write(page.replace("</body>", PROBE + "</body>", 1))
        url = "file://" + os.path.abspath(path)
        # 1. the page measured in its layout at a laptop's width; Chromium logs
        # console messages as CONSOLE lines (the probe itself logs nothing)
        rc, out, err = chromium(exe, ["--enable-logging=stderr", "--v=0", "--window-size=1100,900",
                                      "--dump-dom", "file://" + probe], os.path.join(tmp, "p2"))
        if rc != 0 or "</html>" not in out:
            fail("%s: chromium did not load the page (exit %d): %s" % (name, rc, err[-400:]))
        for line in err.splitlines():
            if "CONSOLE" in line or "Uncaught" in line or "Refused to" in line:
                fail("%s: console: %s" % (name, line.strip()))
        m = re.search(r'<pre id="tp-probe">(.*?)</pre>', out, re.S)
        if not m:
            fail("%s: the layout probe did not run (exit %d): %s" % (name, rc, err[-400:]))
        else:
            res = json.loads(m.group(1).replace("&quot;", '"').replace("&lt;", "<")
                             .replace("&gt;", ">").replace("&amp;", "&"))
            if res["resources"]:
                fail("%s: the page requested %d resources" % (name, res["resources"]))
            for c in res["clipped"]:
                fail("%s: text outside its chart: %s" % (name, c))
            for c in res["overflow"]:
                fail("%s: content wider than its box: %s" % (name, c))
            if res["texts"] == 0:
                fail("%s: no chart text laid out" % name)
            with open(os.path.join(outdir, name + ".layout.json"), "w") as f:
                json.dump(res, f, indent=1)
            print("browser %s: %d chart labels laid out, %d outside; %d charts; %d requests" % (
                name, res["texts"], len(res["clipped"]), len(res["series"]), res["resources"]))
        # 2. artefacts: a screenshot; with full, one in dark mode and the printed PDF
        modes = [("light", [])]
        if full:
            modes.append(("dark", ["--force-dark-mode", "--blink-settings=preferredColorScheme=0"]))
        for mode, extra in modes:
            png = os.path.join(outdir, "%s-%s.png" % (name, mode))
            chromium(exe, extra + ["--window-size=1100,1600", "--screenshot=" + png, url],
                     os.path.join(tmp, "p3" + mode))
            if not os.path.exists(png) or os.path.getsize(png) < 10000:
                fail("%s: no %s screenshot" % (name, mode))
        pdf = os.path.join(outdir, name + ".pdf")
        if full:
            chromium(exe, ["--no-pdf-header-footer", "--print-to-pdf=" + pdf, url],
                     os.path.join(tmp, "p4"))
            if not os.path.exists(pdf) or open(pdf, "rb").read(5) != b"%PDF-":
                fail("%s: printing to PDF failed" % name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# --- TensorBoard event files ----------------------------------------------------------

def crc32c(data):
    """Bitwise CRC-32C (Castagnoli): reflected polynomial 0x82F63B78."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def masked(data):
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def crc_self_test():
    # RFC 3720 (iSCSI), appendix B.4, CRC examples
    vectors = [(bytes(32), 0x8A9136AA), (b"\xff" * 32, 0x62A8AB43),
               (bytes(range(32)), 0x46DD794E), (bytes(range(31, -1, -1)), 0x113FDB5C)]
    for data, want in vectors:
        if crc32c(data) != want:
            fail("the test's own CRC-32C is wrong on an RFC 3720 vector")


def pb_fields(buf):
    """Generic protobuf decoding: [(field, wiretype, value)]."""
    i, out = 0, []
    while i < len(buf):
        key, i = varint(buf, i)
        field, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(buf, i)
        elif wt == 1:
            v, i = buf[i:i + 8], i + 8
        elif wt == 5:
            v, i = buf[i:i + 4], i + 4
        elif wt == 2:
            n, i = varint(buf, i)
            v, i = buf[i:i + n], i + n
        else:
            raise ValueError("wire type %d" % wt)
        if i > len(buf):
            raise ValueError("field runs past the end")
        out.append((field, wt, v))
    return out


def varint(buf, i):
    shift = v = 0
    while True:
        b = buf[i]
        i += 1
        v |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return v, i


def check_tfevents(path, run_json):
    crc_self_test()
    data = open(path, "rb").read()
    run = json.load(open(run_json))
    i, events = 0, []
    while i < len(data):
        if i + 12 > len(data):
            fail("truncated record header at byte %d" % i)
            return
        hdr = data[i:i + 8]
        (n,) = struct.unpack("<Q", hdr)
        (lcrc,) = struct.unpack("<I", data[i + 8:i + 12])
        if lcrc != masked(hdr):
            fail("record at byte %d: length CRC mismatch" % i)
        body = data[i + 12:i + 12 + n]
        (dcrc,) = struct.unpack("<I", data[i + 12 + n:i + 16 + n])
        if dcrc != masked(body):
            fail("record at byte %d: data CRC mismatch" % i)
        events.append(body)
        i += 16 + n
    first = pb_fields(events[0])
    fv = [v for f, wt, v in first if f == 3 and wt == 2]
    if fv != [b"brain.Event:2"]:
        fail("first event: file_version %r" % fv)
    if not any(f == 1 and wt == 1 for f, wt, v in first):
        fail("first event: no wall_time")
    scalars = {}
    for ev in events[1:]:
        fs = pb_fields(ev)
        wall = [struct.unpack("<d", v)[0] for f, wt, v in fs if f == 1 and wt == 1]
        step = [v for f, wt, v in fs if f == 2 and wt == 0]
        summ = [v for f, wt, v in fs if f == 5 and wt == 2]
        if len(wall) != 1 or wall[0] < 1.5e9 or len(step) != 1 or len(summ) != 1:
            fail("event without one wall_time (s), step and summary: %r" % fs)
            continue
        for f, wt, val in pb_fields(summ[0]):
            if f != 1 or wt != 2:
                fail("summary field %d" % f)
                continue
            vf = pb_fields(val)
            tag = [v.decode() for g, w, v in vf if g == 1 and w == 2]
            sv = [struct.unpack("<f", v)[0] for g, w, v in vf if g == 2 and w == 5]
            if len(tag) != 1 or len(sv) != 1:
                fail("summary value without one tag and simple_value: %r" % vf)
                continue
            scalars.setdefault(tag[0], []).append((step[0], sv[0]))
    want = {
        "train/loss": [(m["step"], m["loss"]) for m in run["metrics"]],
        "train/learning_rate": [(m["step"], m["lr"]) for m in run["metrics"]],
        "train/grad_norm": [(m["step"], m["grad_norm"]) for m in run["metrics"]],
        "train/tokens_per_s": [(m["step"], m["tokens_per_s"]) for m in run["metrics"]],
        "eval/loss": [(e["step"], e["loss"]) for e in run["evals"] if e["loss"] is not None],
    }
    for tag, pts in want.items():
        got = scalars.get(tag, [])
        if len(got) != len(pts):
            fail("%s: %d points, the run has %d" % (tag, len(got), len(pts)))
            continue
        for (s1, v1), (s2, v2) in zip(got, pts):
            # simple_value is a float32: 2^-23 relative, plus a little
            if s1 != s2 or abs(v1 - v2) > 2e-7 * max(1.0, abs(v2)):
                fail("%s: (%d, %r) in the file, (%d, %r) in the run" % (tag, s1, v1, s2, v2))
                break
    print("tfevents: %d records, CRCs checked; tags %s" % (
        len(events), ", ".join("%s x%d" % (t, len(v)) for t, v in sorted(scalars.items()))))


# --- Hugging Face trainer_state.json ----------------------------------------------------

def check_hfstate(path, run_json, fields_json):
    st = json.load(open(path))
    run = json.load(open(run_json))
    spec = json.load(open(fields_json))
    if sorted(st) != sorted(spec["fields"]):
        fail("fields %s, TrainerState has %s" % (sorted(st), sorted(spec["fields"])))
    if list(st) != sorted(st):
        fail("keys not sorted (save_to_json sorts them)")
    ms = run["metrics"]
    if st["global_step"] != ms[-1]["step"] or st["max_steps"] != run["total_steps"]:
        fail("global_step/max_steps %s/%s" % (st["global_step"], st["max_steps"]))
    train = [h for h in st["log_history"] if "loss" in h]
    evals = [h for h in st["log_history"] if "eval_loss" in h]
    final = [h for h in st["log_history"] if "train_runtime" in h]
    for h in train:
        if sorted(h) != sorted(spec["log_history_train_keys"]):
            fail("training log entry keys %s" % sorted(h))
            break
    if [(h["step"], h["loss"], h["learning_rate"]) for h in train] != \
            [(m["step"], m["loss"], m["lr"]) for m in ms]:
        fail("training log entries differ from the run's metrics")
    if [(h["step"], h["eval_loss"]) for h in evals] != \
            [(e["step"], e["loss"]) for e in run["evals"] if e["loss"] is not None]:
        fail("evaluation entries differ from the run's evaluations")
    if len(final) != 1 or not set(spec["log_history_final_keys"]) <= set(final[0]):
        fail("no final training summary entry with %s" % spec["log_history_final_keys"])
    steps = [h["step"] for h in st["log_history"]]
    if steps != sorted(steps):
        fail("log_history not in step order")
    print("hfstate: %d fields, %d training, %d evaluation entries" % (len(st), len(train), len(evals)))


def main(argv):
    if len(argv) < 3:
        print(__doc__)
        return 2
    cmd = argv[1]
    if cmd == "html":
        check_html(argv[2], parse_expect(argv[3:]))
    elif cmd == "browser":
        check_browser(argv[2], argv[3], argv[4], argv[5], "--full" in argv[6:])
    elif cmd == "tfevents":
        check_tfevents(argv[2], argv[3])
    elif cmd == "hfstate":
        check_hfstate(argv[2], argv[3], argv[4])
    else:
        print(__doc__)
        return 2
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
