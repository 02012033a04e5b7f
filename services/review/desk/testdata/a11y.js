// An accessibility check of the page as rendered, run by the browser
// tests (no npm here, so no axe-core). It returns a list of problems:
//   - landmarks: a header (banner), a nav and exactly one main; lang, a
//     title and an h1;
//   - every form control has a label: label[for], aria-label or
//     aria-labelledby (a button its text); no id twice;
//   - every image has alt text;
//   - the colour contrast of every visible text against its background is
//     at least 4.5:1 (3:1 for large text: 24px, or 18.66px bold), by the
//     WCAG relative-luminance formula over getComputedStyle.
(() => {
  const problems = [];
  const describe = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += "#" + el.id;
    if (el.className && typeof el.className === "string") s += "." + el.className.trim().split(/\s+/).join(".");
    return s;
  };
  const shown = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const cs = getComputedStyle(e);
      if (cs.display === "none" || cs.visibility === "hidden" || cs.opacity === "0") return false;
    }
    const r = el.getBoundingClientRect();
    return r.width > 1 && r.height > 1;
  };

  // Landmarks and structure.
  const landmarks = [["header, [role=banner]", "a header (banner) landmark"], ["nav, [role=navigation]", "a nav landmark"], ["main, [role=main]", "a main landmark"]];
  for (const [sel, name] of landmarks) {
    if (!document.querySelector(sel)) problems.push("no " + name);
  }
  if (document.querySelectorAll("main, [role=main]").length > 1) problems.push("more than one main landmark");
  if (!document.documentElement.lang) problems.push("<html> has no lang");
  if (!document.title.trim()) problems.push("no <title>");
  if (!document.querySelector("h1")) problems.push("no h1");

  // Labels.
  const name = (el) => {
    const aria = el.getAttribute("aria-label");
    if (aria && aria.trim()) return aria.trim();
    const by = el.getAttribute("aria-labelledby");
    if (by) {
      const t = by.split(/\s+/).map((id) => (document.getElementById(id) || {}).textContent || "").join(" ").trim();
      if (t) return t;
    }
    if (el.tagName === "BUTTON" || ["submit", "button", "reset"].includes(el.type)) return (el.textContent || el.value || "").trim();
    if (el.id) {
      const l = document.querySelector('label[for="' + CSS.escape(el.id) + '"]');
      if (l && l.textContent.trim()) return l.textContent.trim();
    }
    return "";
  };
  let controls = 0;
  for (const el of document.querySelectorAll("input, select, textarea, button")) {
    if (el.type === "hidden") continue;
    controls++;
    if (!name(el)) problems.push("form control without a label: " + describe(el));
  }
  for (const el of document.querySelectorAll("[tabindex]")) {
    if (el.tabIndex >= 0 && !["A", "BUTTON", "INPUT", "SELECT", "TEXTAREA"].includes(el.tagName) && !el.textContent.trim() && !name(el)) {
      problems.push("focusable element without a name: " + describe(el));
    }
  }
  const ids = new Set();
  for (const el of document.querySelectorAll("[id]")) {
    if (ids.has(el.id)) problems.push("id used twice: " + el.id);
    ids.add(el.id);
  }
  for (const img of document.querySelectorAll("img")) {
    if (!img.hasAttribute("alt")) problems.push("image without alt: " + img.src);
  }

  // Contrast.
  const parse = (c) => {
    const m = /rgba?\(([^)]+)\)/.exec(c);
    if (!m) return null;
    const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a),
    g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a),
    a: 1,
  });
  const background = (el) => {
    const chain = [];
    for (let e = el; e; e = e.parentElement) chain.unshift(e);
    let bg = { r: 255, g: 255, b: 255, a: 1 };
    for (const e of chain) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) bg = over(c, bg);
    }
    return bg;
  };
  const lum = (c) => {
    const ch = (v) => {
      v /= 255;
      return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * ch(c.r) + 0.7152 * ch(c.g) + 0.0722 * ch(c.b);
  };
  const ratio = (a, b) => {
    const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  let texts = 0;
  for (const el of document.body.querySelectorAll("*")) {
    const own = Array.from(el.childNodes).some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
    const field = ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName) && el.type !== "hidden";
    if ((!own && !field) || !shown(el)) continue;
    const cs = getComputedStyle(el);
    if (cs.clipPath && cs.clipPath.startsWith("inset(50%")) continue; // visually hidden, for screen readers
    texts++;
    const bg = background(el);
    const fg = over(parse(cs.color), bg);
    const size = parseFloat(cs.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(cs.fontWeight) >= 700);
    const r = ratio(fg, bg);
    if (r < (large ? 3 : 4.5)) {
      problems.push("contrast " + r.toFixed(2) + ":1 of " + describe(el) + " (" + cs.color + " on rgb(" + [bg.r, bg.g, bg.b].map(Math.round).join(", ") + ")): " + (el.textContent || el.value || "").trim().slice(0, 40));
    }
  }
  return { problems, controls, texts };
})()
