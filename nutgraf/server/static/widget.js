/*
 * nutgraf widget: "Ask me anything" and "Explore related questions" under an article.
 *
 * Embed it with one tag where the box should appear:
 *
 *   <script src="https://nutgraf.example.org/widget.js" data-article="ARTICLE_ID"></script>
 *
 * or load the script once and place the element yourself:
 *
 *   <nutgraf-ask article="ARTICLE_ID"></nutgraf-ask>
 *
 * Attributes: `article` (data-article on the script) scopes questions to one article (without
 * it they go to the whole archive); `api` (data-api) is the nutgraf server's base URL, by
 * default the place widget.js was loaded from. A page on another origin must be listed in the
 * server's CORS origins (`nutgraf serve --cors-origin https://news.example.org`).
 *
 * Theme: set these CSS custom properties on the element or any ancestor.
 *   --nutgraf-accent       buttons, links, focus rings           default #1d4ed8
 *   --nutgraf-text         text                                  default #16181d
 *   --nutgraf-muted        secondary text                        default #5c6370
 *   --nutgraf-background   the box                               default #f6f7f9
 *   --nutgraf-surface      the input and the answer              default #ffffff
 *   --nutgraf-border       borders                               default #d9dce1
 *   --nutgraf-radius       corner radius                         default 12px
 *   --nutgraf-font         font family                           default the system sans-serif
 *   --nutgraf-highlight    cited sentences in the page           default #fff1a8
 *                          (the sentence being read while an answer streams gets a lighter tint)
 *
 * Cited sentences are highlighted in the page and scrolled to when a citation marker is
 * pressed. A page that marks its sentences up as
 *   <div data-article="ARTICLE_ID"> ... <span data-sentence="N">...</span> ... </div>
 * (N is the sentence index nutgraf reports) is highlighted exactly. Any other page is searched
 * for the sentence's text: in the element marked data-article, else the page's largest <article>,
 * else <main>, else the body, never in the widget. The text is found across elements and despite
 * differences of whitespace, quote marks and dashes, and wrapped in <mark> elements that are
 * removed again without a trace. When the page does not hold the sentence, the widget quotes it.
 *
 * Two methods render the JSON the server sends without asking it anything (for previews and
 * tests): `element.showAnswer(answer)` shows an answer of POST /v1/ask, and
 * `element.showExplore(panel)` shows an explore panel of GET /v1/related.
 *
 * Everything that comes from a question, an answer or an article is set as text, never as HTML.
 */
(() => {
  "use strict";

  const script = document.currentScript;
  const defaultApi = new URL(".", script && script.src ? script.src : location.href).href;
  const TAG = "nutgraf-ask";
  const HIGHLIGHT = "data-nutgraf-highlight";  // "looking" while an answer is read, then "cited"
  const CURRENT = "data-nutgraf-current";      // the sentence of the citation marker last pressed
  const MARK = "data-nutgraf-mark";            // <mark> elements the widget put into the page
  const RELATED_RETRIES = 20;  // about 17 minutes of asking again, at most once a minute
  const RELATED_FIRST_WAIT = 5;  // seconds before asking again, doubled each time
  const RELATED_LONGEST_WAIT = 60;

  // Text quote search. The edges of a quote are matched with a few errors allowed (typos,
  // entities, a word the page edited); a sentence shorter than this is only matched exactly.
  const FUZZY_EDGE = 32;          // characters of the quote's start and of its end
  const FUZZY_ERROR_RATE = 0.2;   // edits allowed per edge character (6 in 32)
  const FUZZY_LENGTH_SLACK = 0.3; // the found span may be this much longer or shorter
  const FUZZY_MIN_QUOTE = 16;     // shorter quotes match too many places when fuzzy
  const FUZZY_CANDIDATES = 50;    // starts tried, enough for a page that repeats its lede

  const STYLE = `
    :host {
      --_accent: var(--nutgraf-accent, #1d4ed8);
      --_text: var(--nutgraf-text, #16181d);
      --_muted: var(--nutgraf-muted, #5c6370);
      --_background: var(--nutgraf-background, #f6f7f9);
      --_surface: var(--nutgraf-surface, #ffffff);
      --_border: var(--nutgraf-border, #d9dce1);
      --_radius: var(--nutgraf-radius, 12px);
      display: block;
      color: var(--_text);
      font-family: var(--nutgraf-font, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif);
      font-size: 16px;
      line-height: 1.5;
    }
    :host([hidden]) { display: none; }
    * { box-sizing: border-box; }
    [hidden] { display: none !important; }
    .box {
      background: var(--_background);
      border: 1px solid var(--_border);
      border-radius: var(--_radius);
      padding: 24px 24px 18px;
    }
    .title {
      display: flex;
      align-items: center;
      gap: 10px;
      margin: 0;
      font-size: 22px;
      font-weight: 700;
      letter-spacing: -0.01em;
    }
    .title::before {
      content: "";
      width: 10px;
      height: 10px;
      border-radius: 3px;
      background: var(--_accent);
      transform: rotate(45deg);
    }
    .hint { margin: 4px 0 16px; color: var(--_muted); font-size: 14px; }
    form { display: flex; gap: 8px; }
    input {
      flex: 1;
      min-width: 0;
      font: inherit;
      font-size: 16px;
      color: var(--_text);
      background: var(--_surface);
      border: 1px solid var(--_border);
      border-radius: calc(var(--_radius) - 4px);
      padding: 12px 14px;
    }
    input::placeholder { color: var(--_muted); }
    input:focus-visible {
      outline: 2px solid var(--_accent);
      outline-offset: 0;
      border-color: var(--_accent);
    }
    button { font: inherit; cursor: pointer; }
    button:focus-visible, a:focus-visible { outline: 3px solid var(--_accent); outline-offset: 2px; }
    button:disabled { cursor: default; opacity: 0.6; }
    a { color: var(--_accent); }
    .ask {
      flex: none;
      border: 0;
      border-radius: calc(var(--_radius) - 4px);
      background: var(--_accent);
      color: #fff;
      font-weight: 600;
      padding: 0 22px;
    }
    .ask:hover:not(:disabled) { filter: brightness(1.1); }
    .result {
      margin-top: 16px;
      background: var(--_surface);
      border: 1px solid var(--_border);
      border-radius: calc(var(--_radius) - 4px);
      padding: 16px 18px 14px;
    }
    .result:focus { outline: none; }
    .result:focus-visible { outline: 3px solid var(--_accent); outline-offset: 2px; }
    .asked, .resolved { margin: 0 0 6px; color: var(--_muted); font-size: 14px; overflow-wrap: anywhere; }
    .answer-text { margin: 0; font-size: 20px; font-weight: 650; line-height: 1.4; overflow-wrap: anywhere; }
    .answer-text.pending { color: var(--_muted); font-weight: 400; font-style: italic; font-size: 17px; }
    .answer-text.streaming .text::after {
      content: "";
      display: inline-block;
      width: 0.5em;
      height: 1.1em;
      margin-left: 2px;
      vertical-align: text-bottom;
      background: var(--_accent);
      animation: blink 1s steps(2, start) infinite;
    }
    .answer-text.abstained { font-size: 17px; font-weight: 400; }
    .lead { font-weight: 650; }
    p.lead { margin: 0 0 6px; font-size: 15px; color: var(--_muted); }
    @keyframes blink { to { visibility: hidden; } }
    .badge {
      display: inline-block;
      margin-right: 8px;
      padding: 1px 10px;
      border-radius: 999px;
      font-size: 14px;
      font-weight: 700;
      vertical-align: 2px;
    }
    .badge.yes { background: #e3f4e8; color: #1c6b34; }
    .badge.no { background: #fbe6e4; color: #a1261b; }
    .badge.not-decided { background: #fdf0e1; color: #8a4510; }
    .points { margin: 0; padding-left: 1.2em; font-size: 17px; overflow-wrap: anywhere; }
    .points li + li { margin-top: 6px; }
    .points.paragraphs { padding: 0; }
    .points.paragraphs p { margin: 0 0 8px; }
    .points.quotes { list-style: none; padding: 0; }
    .point-quote, .closest {
      margin: 0;
      padding: 6px 14px;
      border-left: 3px solid var(--_accent);
      font-family: Georgia, "Iowan Old Style", "DejaVu Serif", serif;
      font-size: 17px;
      overflow-wrap: anywhere;
    }
    .cites { white-space: nowrap; }
    .cite {
      margin-left: 3px;
      padding: 0 2px;
      border: 0;
      border-radius: 4px;
      background: transparent;
      color: var(--_accent);
      font-size: 0.75em;
      font-weight: 700;
      font-style: normal;
      vertical-align: 0.35em;
      line-height: 1;
    }
    .cite:hover, .cite[aria-pressed="true"] { background: var(--_accent); color: #fff; }
    .cite:focus-visible { outline-width: 2px; outline-offset: 1px; }
    .quote {
      margin: 12px 0 0;
      padding: 8px 14px;
      border-left: 3px solid var(--_accent);
      background: var(--_background);
      font-family: Georgia, "Iowan Old Style", "DejaVu Serif", serif;
      font-size: 16px;
      overflow-wrap: anywhere;
    }
    .quote-label { display: block; color: var(--_muted); font-family: inherit; font-size: 12px; }
    .translation { margin: 4px 0 0; padding-left: 17px; color: var(--_muted); font-size: 15px; overflow-wrap: anywhere; }
    .translation-label { font-weight: 650; }
    .feedback {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 8px;
      margin-top: 14px;
      padding-top: 12px;
      border-top: 1px solid var(--_border);
      color: var(--_muted);
      font-size: 14px;
    }
    .feedback-label { margin-right: 4px; }
    .feedback button {
      border: 1px solid var(--_border);
      border-radius: 999px;
      background: var(--_surface);
      color: var(--_text);
      font-size: 13px;
      padding: 4px 12px;
    }
    .feedback button:hover:not(:disabled), .feedback button[aria-pressed="true"] {
      border-color: var(--_accent);
      color: var(--_accent);
    }
    .error {
      margin: 14px 0 0;
      padding: 10px 12px;
      border: 1px solid #f4c7c3;
      border-radius: calc(var(--_radius) - 4px);
      background: #fdf1f0;
      color: #a1261b;
      font-size: 15px;
    }
    .in-short, .related { margin-top: 22px; }
    .section-title {
      margin: 0 0 6px;
      color: var(--_muted);
      font-size: 13px;
      font-weight: 700;
      letter-spacing: 0.08em;
      text-transform: uppercase;
    }
    .key-points { margin: 0; padding-left: 1.2em; font-size: 17px; overflow-wrap: anywhere; }
    .key-points li + li { margin-top: 6px; }
    .questions { list-style: none; margin: 0; padding: 0; }
    .related-pending { margin: 8px 0; color: var(--_muted); font-size: 15px; font-style: italic; }
    .questions > li + li { border-top: 1px solid var(--_border); }
    .question {
      display: flex;
      justify-content: space-between;
      gap: 16px;
      width: 100%;
      padding: 12px 2px;
      border: 0;
      background: none;
      color: var(--_text);
      font-size: 17px;
      text-align: left;
    }
    .question::after { content: "\\2192"; color: var(--_accent); font-weight: 700; transition: transform 0.2s; }
    .question[aria-expanded="true"]::after { transform: rotate(90deg); }
    .question:hover { color: var(--_accent); }
    .from { margin: -8px 0 10px 2px; color: var(--_muted); font-size: 13px; }
    .in-place {
      margin: 0 0 14px;
      padding: 12px 14px;
      background: var(--_surface);
      border: 1px solid var(--_border);
      border-radius: calc(var(--_radius) - 4px);
    }
    .in-place .answer-text { font-size: 17px; }
    .footer { margin: 14px 0 0; color: var(--_muted); font-size: 12px; }
    .sr-only {
      position: absolute;
      width: 1px;
      height: 1px;
      margin: -1px;
      overflow: hidden;
      clip: rect(0 0 0 0);
      white-space: nowrap;
    }
    @media (max-width: 480px) {
      .box { padding: 18px 16px 14px; }
      form { flex-direction: column; }
      .ask { padding: 12px; }
    }
    @media (prefers-reduced-motion: reduce) {
      .answer-text.streaming .text::after { animation: none; }
      .question::after { transition: none; }
    }
  `;

  // The highlights live in the host page, outside the shadow root, so they need rules there.
  const PAGE_STYLE = `
    [${HIGHLIGHT}] {
      background: var(--nutgraf-highlight, #fff1a8);
      border-radius: 2px;
      -webkit-box-decoration-break: clone;
      box-decoration-break: clone;
      transition: background-color 0.3s;
      scroll-margin: 30vh 0;
    }
    mark[${MARK}] { color: inherit; padding: 0; }
    [${HIGHLIGHT}="looking"] {
      background: color-mix(in srgb, var(--nutgraf-highlight, #fff1a8) 45%, transparent);
      text-decoration: underline dotted 2px;
      text-decoration-color: color-mix(in srgb, currentColor 40%, transparent);
      text-underline-offset: 4px;
    }
    [${CURRENT}] {
      text-decoration: underline solid 2px;
      text-decoration-color: color-mix(in srgb, currentColor 55%, transparent);
      text-underline-offset: 4px;
    }
    @media (prefers-reduced-motion: reduce) { [${HIGHLIGHT}] { transition: none; } }
  `;

  // Static markup only: nothing from a question or an article is ever written as HTML.
  const TEMPLATE = `
    <section class="box" aria-labelledby="title">
      <h2 class="title" id="title">Ask me anything</h2>
      <p class="hint" id="hint">Answers come from the article and cite the sentences they rest on.</p>
      <form>
        <label class="sr-only" for="question">Your question</label>
        <input id="question" name="question" type="text" autocomplete="off" maxlength="1000"
               placeholder="Ask a question about this story" aria-describedby="hint">
        <button class="ask" type="submit">Ask</button>
      </form>
      <p class="error" role="alert" hidden></p>
      <div class="result" tabindex="-1" hidden>
        <p class="asked"></p>
        <p class="resolved" hidden></p>
        <div class="answer" aria-live="polite" aria-busy="false"></div>
        <div class="sources"></div>
        <div class="feedback" role="group" aria-labelledby="feedback-label" hidden>
          <span class="feedback-label" id="feedback-label">Was this answer useful?</span>
          <button type="button" data-rating="helpful" aria-pressed="false">Helpful</button>
          <button type="button" data-rating="not_helpful" aria-pressed="false">Not helpful</button>
          <button type="button" data-rating="wrong_citation" aria-pressed="false">Wrong citation</button>
          <span class="feedback-status" role="status"></span>
        </div>
      </div>
      <section class="in-short" aria-labelledby="in-short-title" hidden>
        <h3 class="section-title" id="in-short-title">In short</h3>
        <ul class="key-points"></ul>
        <div class="sources"></div>
      </section>
      <section class="related" aria-labelledby="related-title" hidden>
        <h3 class="section-title" id="related-title">Explore related questions</h3>
        <p class="related-pending" hidden>Finding the questions this story answers\u2026</p>
        <ul class="questions" aria-labelledby="related-title"></ul>
      </section>
      <p class="footer">Answers by nutgraf, from the article text only.</p>
    </section>
  `;

  const el = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  };

  function sheet(css) {
    const style = new CSSStyleSheet();
    style.replaceSync(css);
    return style;
  }

  // -- the server's events

  // Server-Sent Events from a fetch() body: EventSource cannot POST a question.
  async function* readEvents(response) {
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      // A lone "\r" may be half of a "\r\n" that the next chunk completes.
      const held = buffer.endsWith("\r") ? "\r" : "";
      let text = (held ? buffer.slice(0, -1) : buffer).replace(/\r\n?/g, "\n");
      let end;
      while ((end = text.indexOf("\n\n")) >= 0) {
        const event = parseEvent(text.slice(0, end));
        text = text.slice(end + 2);
        if (event) yield event;
      }
      buffer = text + held;
    }
  }

  function parseEvent(frame) {
    let type = "message";
    const data = [];
    for (const line of frame.split("\n")) {
      if (!line || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") type = value;
      else if (field === "data") data.push(value);
    }
    return data.length ? { type, data: JSON.parse(data.join("\n")) } : null;
  }

  async function errorMessage(response) {
    try {
      const body = await response.json();
      if (body && body.error && body.error.message) return body.error.message;
    } catch (ignored) {
      // not JSON: fall through to the status line
    }
    return response.status === 429
      ? "Too many questions at once. Please wait a moment and try again."
      : `The answer service is unavailable (HTTP ${response.status}).`;
  }

  // -- finding a sentence in the page (text quote anchoring)

  const SKIPPED = `script, style, noscript, template, textarea, select, [hidden], ${TAG}`;

  // Each character as it is compared: quote marks, dashes and compatibility forms folded,
  // whitespace and invisible characters dropped, lower case.
  const FOLDED = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u00ad": "", "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "",
  };
  const foldedCache = new Map();

  function fold(ch) {
    let out = foldedCache.get(ch);
    if (out === undefined) {
      out = ch in FOLDED ? FOLDED[ch] : /\s/.test(ch) ? "" : ch.normalize("NFKC").toLowerCase();
      foldedCache.set(ch, out);
    }
    return out;
  }

  const foldString = (text) => Array.from(text, fold).join("");

  function textNodes(root) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
      acceptNode: (node) => (node.parentElement && node.parentElement.closest(SKIPPED)
        ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
    });
    const nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    return nodes;
  }

  // The text of `nodes` run through `transform` (a character to its replacement), with the
  // node and offset every character of the result came from.
  function textIndex(nodes, transform) {
    const pieces = [];
    const node = [];
    const offset = [];
    nodes.forEach((textNode, n) => {
      const data = textNode.data;
      for (let i = 0; i < data.length; i++) {
        const out = transform ? transform(data[i]) : data[i];
        for (let k = 0; k < out.length; k++) {
          node.push(n);
          offset.push(i);
        }
        pieces.push(out);
      }
    });
    return { text: pieces.join(""), node, offset };
  }

  // Where `quote` is in the text under `root`: {nodes, start: [node, offset], end: [node, offset]}
  // (end exclusive), found exactly, then with the characters folded, then by its two ends.
  function findQuote(root, quote) {
    quote = quote.trim();
    if (!quote) return null;
    const nodes = textNodes(root);
    const raw = textIndex(nodes);
    const exact = raw.text.indexOf(quote);
    if (exact >= 0) return span(nodes, raw, exact, exact + quote.length);
    const folded = textIndex(nodes, fold);
    const wanted = foldString(quote);
    if (!wanted) return null;
    const found = folded.text.indexOf(wanted);
    if (found >= 0) return span(nodes, folded, found, found + wanted.length);
    const near = fuzzyFind(folded.text, wanted);
    return near ? span(nodes, folded, near.start, near.end) : null;
  }

  const span = (nodes, index, start, end) => ({
    nodes,
    start: [index.node[start], index.offset[start]],
    end: [index.node[end - 1], index.offset[end - 1] + 1],
  });

  // The quote's first and last characters found with a few errors each, at a distance close
  // to the quote's length: a sentence the page reworded a little is still found.
  function fuzzyFind(text, quote) {
    const length = quote.length;
    if (length < FUZZY_MIN_QUOTE) return null;
    const edge = Math.min(FUZZY_EDGE, Math.floor(length / 2));
    const errors = Math.floor(edge * FUZZY_ERROR_RATE);
    const head = quote.slice(0, edge);
    const tail = quote.slice(length - edge);
    const slack = length * FUZZY_LENGTH_SLACK;
    let best = null;
    for (const start of approxMatches(text, head, errors, 0, text.length).slice(0, FUZZY_CANDIDATES)) {
      const limit = Math.min(text.length, Math.ceil(start.start + length + slack));
      for (const end of approxMatches(text, tail, errors, start.start, limit)) {
        const found = end.end - start.start;
        if (Math.abs(found - length) > slack) continue;
        const score = start.errors + end.errors + Math.abs(found - length) / length;
        if (!best || score < best.score) best = { start: start.start, end: end.end, score };
      }
    }
    return best;
  }

  // Sellers' algorithm: where `pattern` occurs in text[from, to) with at most `maxErrors`
  // edits, as [{start, end, errors}], the best of each run of overlapping matches.
  function approxMatches(text, pattern, maxErrors, from, to) {
    const m = pattern.length;
    let cost = new Int32Array(m + 1);
    let origin = new Int32Array(m + 1);
    let nextCost = new Int32Array(m + 1);
    let nextOrigin = new Int32Array(m + 1);
    for (let i = 0; i <= m; i++) {
      cost[i] = i;
      origin[i] = from;
    }
    const matches = [];
    for (let j = from; j < to; j++) {
      const ch = text[j];
      nextCost[0] = 0;
      nextOrigin[0] = j + 1;
      for (let i = 1; i <= m; i++) {
        let best = cost[i - 1] + (pattern[i - 1] === ch ? 0 : 1);
        let bestOrigin = origin[i - 1];
        if (cost[i] + 1 < best) {  // a character the pattern lacks
          best = cost[i] + 1;
          bestOrigin = origin[i];
        }
        if (nextCost[i - 1] + 1 < best) {  // a character the text lacks
          best = nextCost[i - 1] + 1;
          bestOrigin = nextOrigin[i - 1];
        }
        nextCost[i] = best;
        nextOrigin[i] = bestOrigin;
      }
      if (nextCost[m] <= maxErrors) {
        const match = { start: nextOrigin[m], end: j + 1, errors: nextCost[m] };
        const last = matches[matches.length - 1];
        if (!last || match.start >= last.end) matches.push(match);
        else if (match.errors < last.errors) matches[matches.length - 1] = match;
      }
      [cost, nextCost] = [nextCost, cost];
      [origin, nextOrigin] = [nextOrigin, origin];
    }
    return matches;
  }

  // The found text wrapped in <mark> elements, one per text node it spans, so the page's own
  // elements (links, emphasis, paragraphs) stay as they were around it.
  function wrap(found, state) {
    const marks = [];
    const [first, firstOffset] = found.start;
    const [last, lastOffset] = found.end;
    for (let n = first; n <= last; n++) {
      let node = found.nodes[n];
      const from = n === first ? firstOffset : 0;
      const to = n === last ? lastOffset : node.length;
      if (from >= to || !node.data.slice(from, to).trim()) continue;  // whitespace between blocks
      if (to < node.length) node.splitText(to);
      if (from > 0) node = node.splitText(from);
      const mark = document.createElement("mark");
      mark.setAttribute(MARK, "");
      mark.setAttribute(HIGHLIGHT, state);
      node.replaceWith(mark);
      mark.append(node);
      marks.push(mark);
    }
    return marks;
  }

  // A mark taken out again, its text joined back to the text it was split from.
  function unwrap(mark) {
    let text = mark.firstChild;
    mark.replaceWith(...mark.childNodes);
    if (!text || text.nodeType !== Node.TEXT_NODE) return;
    const before = text.previousSibling;
    if (before && before.nodeType === Node.TEXT_NODE) {
      before.appendData(text.data);
      text.remove();
      text = before;
    }
    const after = text.nextSibling;
    if (after && after.nodeType === Node.TEXT_NODE) {
      text.appendData(after.data);
      after.remove();
    }
  }

  // Where the page shows the article a citation comes from; null when it shows another one.
  function articleRoot(articleId, pageArticle) {
    const marked = [...document.querySelectorAll("[data-article]")].filter((node) => !node.closest(SKIPPED));
    if (marked.length) {
      return marked.find((node) => node.dataset.article === articleId)
        || marked.find((node) => node.dataset.article === "") || null;
    }
    if (pageArticle && articleId !== pageArticle) return null;
    const articles = [...document.querySelectorAll("article")].filter((node) => !node.closest(SKIPPED));
    if (articles.length) {
      return articles.reduce((a, b) => (b.textContent.length > a.textContent.length ? b : a));
    }
    return document.querySelector("main, [role=main]") || document.body;
  }

  const citationKey = (citation) => `${citation.article_id}#${citation.sentence_index}`;

  // A citation the widget can show: anything else would be a marker pointing nowhere.
  const usable = (citation) => Boolean(citation) && typeof citation.article_id === "string"
    && Number.isInteger(citation.sentence_index) && typeof citation.text === "string"
    && citation.text.trim() !== "";

  function distinct(citations) {
    const seen = new Set();
    return (Array.isArray(citations) ? citations : []).filter((citation) => {
      if (!usable(citation) || seen.has(citationKey(citation))) return false;
      seen.add(citationKey(citation));
      return true;
    });
  }

  // The page's highlights: one set at a time, owned by the answer or list that made them.
  const page = {
    owner: null,  // the Sources whose citations are shown
    shown: [],    // [{key, elements, wrapped}]
    styled: false,

    show(owner, citations, state, pageArticle) {
      this.clear();
      this.style();
      this.owner = owner;
      for (const citation of distinct(citations)) {
        const shown = place(citation, state, pageArticle);
        if (shown) this.shown.push(shown);
      }
    },

    clear() {
      for (const { elements, wrapped } of this.shown) {
        for (const element of elements) {
          if (wrapped) unwrap(element);
          else {
            element.removeAttribute(HIGHLIGHT);
            element.removeAttribute(CURRENT);
          }
        }
      }
      this.shown = [];
      this.owner = null;
    },

    // The cited sentence marked as the current one and scrolled to; false when not shown.
    reveal(citation) {
      const shown = this.shown.find((item) => item.key === citationKey(citation));
      for (const item of this.shown) {
        for (const element of item.elements) element.toggleAttribute(CURRENT, item === shown);
      }
      if (!shown) return false;
      const smooth = !matchMedia("(prefers-reduced-motion: reduce)").matches;
      shown.elements[0].scrollIntoView({ behavior: smooth ? "smooth" : "auto", block: "center" });
      return true;
    },

    style() {
      if (this.styled) return;
      this.styled = true;
      document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet(PAGE_STYLE)];
    },
  };

  function place(citation, state, pageArticle) {
    const root = articleRoot(citation.article_id, pageArticle);
    if (!root) return null;
    const key = citationKey(citation);
    const sentence = root.hasAttribute("data-article")
      && root.querySelector(`[data-sentence="${Number(citation.sentence_index)}"]`);
    if (sentence) {
      sentence.setAttribute(HIGHLIGHT, state);
      return { key, elements: [sentence], wrapped: false };
    }
    const found = findQuote(root, citation.text);
    const marks = found ? wrap(found, state) : [];
    return marks.length ? { key, elements: marks, wrapped: true } : null;
  }

  // -- citation markers

  // The citations of one answer (or of the key points), numbered in the order they are shown.
  class Sources {
    constructor(widget, quotes) {
      this.widget = widget;
      this.quotes = quotes;
      this.list = [];
      this.buttons = [];
      quotes.replaceChildren();
    }

    // A marker button for each distinct usable citation, inside one <span class="cites">.
    markers(citations) {
      const usableOnes = distinct(citations);
      if (!usableOnes.length) return null;
      const cites = el("span", "cites");
      for (const citation of usableOnes) cites.append(this.marker(citation));
      return cites;
    }

    marker(citation) {
      let number = this.list.findIndex((known) => citationKey(known) === citationKey(citation)) + 1;
      if (!number) number = this.list.push(citation);
      const button = el("button", "cite", `[${number}]`);
      button.type = "button";
      button.setAttribute("aria-pressed", "false");
      button.setAttribute("aria-label", `Source ${number}: show the cited sentence`);
      button.title = citation.text;
      button.addEventListener("click", () => this.reveal(number, button));
      this.buttons.push(button);
      return button;
    }

    highlight(state) {
      page.show(this, this.list, state, this.widget.article);
    }

    // The sentence highlighted and scrolled to, or quoted here when the page does not hold it.
    reveal(number, button) {
      const citation = this.list[number - 1];
      if (page.owner !== this) this.highlight("cited");
      const pressed = button.getAttribute("aria-pressed") === "true";
      for (const other of this.buttons) other.setAttribute("aria-pressed", "false");
      if (page.reveal(citation)) {
        button.setAttribute("aria-pressed", "true");
        this.quotes.replaceChildren();
        return;
      }
      const open = this.quotes.querySelector(`[data-number="${number}"]`);
      this.quotes.replaceChildren();
      if (open && pressed) return;  // a second press closes the quote
      button.setAttribute("aria-pressed", "true");
      const quote = el("blockquote", "quote");
      quote.dataset.number = String(number);
      quote.append(el("span", "quote-label", `Source ${number}, from the article`), citation.text);
      this.quotes.append(quote);
    }
  }

  // -- answers

  // The badge of a yes/no answer, and the same word at the start of its text, which it replaces.
  const VERDICTS = {
    yes: { label: "Yes", repeated: /^yes(?:\s*[:,;.\u2013\u2014-]\s*|\s*$)/i },
    no: { label: "No", repeated: /^no(?:\s*[:,;.\u2013\u2014-]\s*|\s*$)/i },
    "not-decided": {
      label: "Not decided yet",
      repeated: /^not\s+(?:yet\s+)?decided(?:\s+yet)?(?:\s*[:,;.\u2013\u2014-]\s*|\s*$)/i,
    },
  };
  // A note that begins by saying so itself gets no second "does not say".
  const SAYS_IT_DOES_NOT_SAY = /^the articles? do(?:es)? not say/i;
  // The label a "closest" note begins with, and the quotation marks around its sentence: the
  // widget prints the label itself, once.
  const CLOSEST_LABEL = /^\s*the articles? comes? closest here:\s*/i;
  const AROUND_QUOTE = /^\s*[\u201c"]([\s\S]*)[\u201d"]\s*$/;
  const capitalised = (words) => words.charAt(0).toUpperCase() + words.slice(1);
  const textOf = (value) => (typeof value === "string" ? value : "");

  // The nodes showing `answer` (the JSON of POST /v1/ask); its citations numbered in `sources`.
  // Fields an older server does not send (grade, kind, verdict, points) fall back to what
  // answerable, answer and note say. `wording` names the article, or the archive's articles.
  function answerNodes(answer, sources, wording) {
    const grade = answer.grade || (answer.answerable ? "answer" : "none");
    if (grade === "closest") {
      const sentence = closestSentence(answer.note) || textOf((distinct(answer.citations)[0] || {}).text);
      const closest = append(el("blockquote", "closest", sentence), sources.markers(answer.citations));
      return [el("p", "lead", wording.closest), closest];
    }
    if (grade !== "answer") {
      const saying = el("p", "answer-text abstained");
      const note = textOf(answer.note).trim();
      if (!SAYS_IT_DOES_NOT_SAY.test(note)) saying.append(el("span", "lead", `${wording.doesNotSay}.`), note ? " " : "");
      saying.append(note);
      append(saying, sources.markers(answer.citations));
      return [saying];
    }
    const line = el("p", "answer-text");
    const verdict = answer.kind === "yes-no" && VERDICTS[answer.verdict];
    let words = textOf(answer.answer);
    if (verdict) {
      line.append(el("span", `badge ${answer.verdict}`, verdict.label), " ");
      words = words.replace(verdict.repeated, "");  // the badge says it already
    }
    const points = (Array.isArray(answer.points) ? answer.points : []).filter((point) => point && textOf(point.text));
    if (points.length) return verdict ? [line, pointList(answer.kind, points, sources)] : [pointList(answer.kind, points, sources)];
    line.append(el("span", "text", capitalised(words)));
    append(line, sources.markers(answer.citations));
    return [line];
  }

  // The sentence of a "closest" note, without the label the note starts with.
  function closestSentence(note) {
    const sentence = textOf(note).replace(CLOSEST_LABEL, "");
    const quoted = AROUND_QUOTE.exec(sentence);
    return (quoted ? quoted[1] : sentence).trim();
  }

  // Answers of several parts: list items and overview bullets, quotes, or the paragraphs of
  // an explanation; each part with its own markers.
  function pointList(kind, points, sources) {
    let list;
    if (kind === "quote") {
      list = el("ul", "points quotes");
      for (const point of points) {
        const quote = el("blockquote", "point-quote", point.text);
        append(quote, sources.markers(point.citations));
        const item = el("li");
        item.append(quote);
        const translation = textOf(point.translation).trim();
        if (translation) item.append(translationOf(translation));
        list.append(item);
      }
    } else if (kind === "explanation") {
      list = el("div", "points paragraphs");
      for (const point of points) list.append(append(el("p", "", point.text), sources.markers(point.citations)));
    } else {
      list = el("ul", "points");
      for (const point of points) list.append(append(el("li", "", point.text), sources.markers(point.citations)));
    }
    return list;
  }

  // A quote's translation, beside the quote and never inside it: the quote stays the
  // speaker's own words.
  function translationOf(text) {
    const line = el("p", "translation");
    line.append(el("span", "translation-label", "Translation:"), " ", text);
    return line;
  }

  function append(node, child) {
    if (child) node.append(" ", child);
    return node;
  }

  // One place an answer is shown: the Ask box's result, or a related question's in-place answer.
  class AnswerView {
    constructor(widget, region, quotes) {
      this.widget = widget;
      this.region = region;
      this.quotes = quotes;
      this.sources = new Sources(widget, quotes);
    }

    start() {
      this.streamed = "";
      this.answer = null;
      this.sources = new Sources(this.widget, this.quotes);
      this.region.setAttribute("aria-busy", "true");
      this.pending("Looking for the answer\u2026");
    }

    pending(message) {
      this.region.replaceChildren(el("p", "answer-text pending", message));
    }

    // The sentence the answer is being read from, highlighted at once as "looking here".
    evidence(citations) {
      if (!this.streamed) this.pending("Reading\u2026");
      page.show(this.sources, citations, "looking", this.widget.article);
    }

    delta(piece) {
      if (!this.streamed) {
        this.words = el("span", "text");
        this.region.replaceChildren(append(el("p", "answer-text streaming"), this.words));
      }
      this.streamed += textOf(piece);
      this.words.textContent = this.streamed;
    }

    // The final answer replaces whatever was streamed: it may abstain after all.
    finish(answer) {
      this.answer = answer;
      this.sources = new Sources(this.widget, this.quotes);
      this.region.replaceChildren(...answerNodes(answer, this.sources, this.widget.wording));
      this.region.setAttribute("aria-busy", "false");
      this.sources.highlight("cited");
    }

    fail(message) {
      this.region.replaceChildren(el("p", "error", message));
      this.region.setAttribute("aria-busy", "false");
      if (page.owner === this.sources) page.clear();
    }
  }

  // -- the element

  class NutgrafAsk extends HTMLElement {
    connectedCallback() {
      if (!this.shadowRoot) this.build();
      this.loadRelated();
    }

    disconnectedCallback() {
      for (const request of this.requests.values()) request.abort();
      clearTimeout(this.relatedRetry);
      if (page.owner && page.owner.widget === this) page.clear();
    }

    get article() {
      return this.getAttribute("article") || null;
    }

    // How answers name what they come from: one article, or the archive's.
    get wording() {
      return this.article
        ? { closest: "The article comes closest here:", doesNotSay: "The article does not say" }
        : { closest: "The articles come closest here:", doesNotSay: "The articles do not say" };
    }

    endpoint(path, params) {
      const base = this.getAttribute("api") || defaultApi;
      const url = new URL(path, new URL(base.endsWith("/") ? base : `${base}/`, location.href));
      for (const [key, value] of Object.entries(params || {})) {
        if (value !== null && value !== undefined) url.searchParams.set(key, value);
      }
      return url.href;
    }

    build() {
      const root = this.attachShadow({ mode: "open" });
      root.adoptedStyleSheets = [sheet(STYLE)];
      root.innerHTML = TEMPLATE;
      const $ = (selector) => root.querySelector(selector);
      this.parts = {
        form: $("form"), input: $("input"), button: $(".ask"), error: $(".error"),
        result: $(".result"), asked: $(".asked"), resolved: $(".resolved"),
        feedback: $(".feedback"), feedbackStatus: $(".feedback-status"),
        inShort: $(".in-short"), keyPoints: $(".key-points"), keyPointSources: $(".in-short .sources"),
        related: $(".related"), questions: $(".questions"), relatedPending: $(".related-pending"),
      };
      this.requests = new Map();  // AnswerView -> AbortController of its question on the way
      this.conversation = null;
      this.questionCount = 0;
      this.main = new AnswerView(this, $(".result .answer"), $(".result .sources"));
      if (!this.article) {
        root.querySelector(".hint").textContent = "Answers come from the archive and cite the sentences they rest on.";
        this.parts.input.placeholder = "Ask a question about the news";
      }
      this.parts.form.addEventListener("submit", (event) => {
        event.preventDefault();
        this.ask(this.parts.input.value);
      });
      for (const button of root.querySelectorAll("[data-rating]")) {
        button.addEventListener("click", () => this.sendFeedback(button));
      }
    }

    // -- asking

    // `article` differs from the widget's own for a related question another story answers;
    // `source` is "panel" for a question opened in the explore panel (the newsroom counts them).
    async ask(question, { article = this.article, view = this.main, source = "box" } = {}) {
      question = question.trim();
      if (!question) {
        this.showError("Type a question first.");
        this.parts.input.focus();
        return;
      }
      if (this.requests.has(view)) this.requests.get(view).abort();
      const request = new AbortController();
      this.requests.set(view, request);
      this.showError(null);
      if (view === this.main) this.startMain(question, article);
      view.start();
      try {
        const response = await fetch(this.endpoint("v1/ask"), {
          method: "POST",
          headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
          body: JSON.stringify({ question, article_id: article, conversation_id: this.conversation, source }),
          signal: request.signal,
        });
        if (!response.ok) throw new Error(await errorMessage(response));
        if (!(response.headers.get("content-type") || "").startsWith("text/event-stream")) {
          this.answered(view, await response.json());
          return;
        }
        for await (const event of readEvents(response)) {
          if (event.type === "evidence") view.evidence(event.data.citations);
          else if (event.type === "delta") view.delta(event.data.text);
          else if (event.type === "answer") this.answered(view, event.data);
          else if (event.type === "error") throw new Error(event.data.error.message);
        }
        if (!view.answer) throw new Error("The answer was cut off. Please try again.");
      } catch (error) {
        if (request.signal.aborted) return;
        view.fail(error instanceof TypeError ? "The answer service could not be reached." : error.message);
      } finally {
        if (this.requests.get(view) === request) {
          this.requests.delete(view);
          if (view === this.main) this.setBusy(false);
        }
      }
    }

    startMain(question, article) {
      const p = this.parts;
      this.answer = null;
      this.answerArticle = article;
      this.setBusy(true);
      p.result.hidden = false;
      p.asked.textContent = `You asked: ${question}`;
      p.resolved.hidden = true;
      p.feedback.hidden = true;
    }

    answered(view, answer) {
      this.conversation = answer.conversation_id || this.conversation;
      if (view === this.main) {
        this.showAnswer(answer);
        this.showFollowUps(answer);
      } else {
        view.finish(answer);
      }
    }

    /**
     * Shows `answer` (the JSON of POST /v1/ask) in the Ask box as if it had just arrived: its
     * text in the form its kind and grade call for, citation markers, the cited sentences
     * highlighted in the page. Asks the server nothing.
     */
    showAnswer(answer) {
      const p = this.parts;
      this.answer = answer;
      p.result.hidden = false;
      p.asked.textContent = `You asked: ${textOf(answer.question)}`;
      const resolved = textOf(answer.resolved_question);
      p.resolved.hidden = !resolved || resolved === answer.question;
      p.resolved.textContent = `Answering: ${resolved}`;
      this.main.finish(answer);
      this.resetFeedback();
      p.feedback.hidden = false;
    }

    setBusy(busy) {
      this.parts.button.disabled = busy;
      this.parts.button.textContent = busy ? "Asking\u2026" : "Ask";
    }

    showError(message) {
      this.parts.error.hidden = !message;
      this.parts.error.textContent = message || "";
    }

    // -- the explore panel

    // The server may still be working the panel out ("pending"): ask again, less and less often.
    async loadRelated(after, attempt = 0) {
      if (!this.article) return;
      clearTimeout(this.relatedRetry);
      const request = (this.relatedRequest = (this.relatedRequest || 0) + 1);
      try {
        const params = { article_id: this.article, after, conversation_id: after ? this.conversation : null };
        const response = await fetch(this.endpoint("v1/related", params), { headers: { Accept: "application/json" } });
        if (!response.ok) throw new Error(await errorMessage(response));
        const panel = await response.json();
        if (request !== this.relatedRequest) return;  // a newer panel is on its way
        if (panel.pending && attempt < RELATED_RETRIES) {
          this.renderKeyPoints(panel.key_points);
          this.parts.related.hidden = false;
          this.parts.relatedPending.hidden = false;
          const seconds = Math.min(RELATED_LONGEST_WAIT, RELATED_FIRST_WAIT * 2 ** attempt);
          this.relatedRetry = setTimeout(() => this.loadRelated(after, attempt + 1), seconds * 1000);
          return;
        }
        this.renderKeyPoints(panel.key_points);
        this.renderQuestions(panel.questions);
      } catch (error) {
        console.warn("nutgraf: related questions unavailable:", error.message);
      }
    }

    showFollowUps(answer) {
      if (Array.isArray(answer.related) && answer.related.length) this.renderQuestions(answer.related);
      else this.loadRelated(textOf(answer.question));
    }

    /**
     * Shows `panel` (the JSON of GET /v1/related): "In short" with its key points, then the
     * questions, each answered in place when clicked. Stops waiting for the server's panel.
     */
    showExplore(panel) {
      this.relatedRequest = (this.relatedRequest || 0) + 1;
      clearTimeout(this.relatedRetry);
      this.renderKeyPoints(panel.key_points);
      this.renderQuestions(panel.questions);
    }

    // Key points only replace the shown ones when the server sends some (follow-ups have none).
    renderKeyPoints(points) {
      if (!Array.isArray(points)) return;
      const shown = points.filter((point) => point && textOf(point.text));
      this.keyPointSources = new Sources(this, this.parts.keyPointSources);
      this.parts.keyPoints.replaceChildren(...shown.map(
        (point) => append(el("li", "", point.text), this.keyPointSources.markers(point.citations))));
      this.parts.inShort.hidden = shown.length === 0;
    }

    renderQuestions(questions) {
      for (const [view, request] of this.requests) {
        if (view !== this.main) request.abort();
      }
      const items = (Array.isArray(questions) ? questions : [])
        .filter((item) => item && textOf(item.question))
        .map((item) => this.questionItem(item));
      this.parts.questions.replaceChildren(...items);
      this.parts.relatedPending.hidden = true;
      this.parts.related.hidden = items.length === 0;
    }

    questionItem(item) {
      const li = el("li");
      const id = `answer-${++this.questionCount}`;
      const button = el("button", "question");
      button.type = "button";
      button.setAttribute("aria-expanded", "false");
      button.setAttribute("aria-controls", id);
      button.append(el("span", "question-text", item.question));
      li.append(button);
      const bridge = item.bridge === true
        || Boolean(item.article_id && this.article && item.article_id !== this.article);
      if (bridge && typeof item.article_id === "string") li.append(this.fromLine(item));
      const panel = el("div", "in-place");
      panel.id = id;
      panel.hidden = true;
      const region = el("div", "answer");
      region.setAttribute("aria-live", "polite");
      region.setAttribute("aria-busy", "false");
      const quotes = el("div", "sources");
      panel.append(region, quotes);
      li.append(panel);
      const view = new AnswerView(this, region, quotes);
      button.addEventListener("click", () => {
        const open = button.getAttribute("aria-expanded") === "true";
        button.setAttribute("aria-expanded", String(!open));
        panel.hidden = open;
        if (open) {
          if (this.requests.has(view)) this.requests.get(view).abort();
          if (page.owner === view.sources) page.clear();
        } else if (view.answer) {
          view.sources.highlight("cited");
        } else {
          this.ask(item.question, { article: bridge ? item.article_id : this.article, view, source: "panel" });
        }
      });
      return li;
    }

    // "From: <title>", linking to the other article: its own address, else the demo site's page.
    fromLine(item) {
      const line = el("p", "from", "From: ");
      const link = el("a", "", textOf(item.article_title) || "another story");
      const own = textOf(item.article_url);
      link.href = /^https?:\/\//i.test(own) ? own : this.endpoint(`articles/${encodeURIComponent(item.article_id)}`);
      line.append(link);
      return line;
    }

    // -- feedback

    resetFeedback() {
      for (const button of this.parts.feedback.querySelectorAll("button")) {
        button.disabled = false;
        button.setAttribute("aria-pressed", "false");
      }
      this.parts.feedbackStatus.textContent = "";
    }

    async sendFeedback(button) {
      const answer = this.answer;
      if (!answer) return;
      const buttons = this.parts.feedback.querySelectorAll("button");
      for (const other of buttons) other.disabled = true;
      button.setAttribute("aria-pressed", "true");
      const body = {
        rating: button.dataset.rating,
        question: answer.question,
        answer: answer.answerable ? answer.answer : answer.note,
        citations: distinct(answer.citations).map(({ article_id, sentence_index, text }) => ({ article_id, sentence_index, text })),
        article_id: this.answerArticle,
        conversation_id: answer.conversation_id,
        ask_id: typeof answer.ask_id === "string" ? answer.ask_id : undefined,
      };
      try {
        const response = await fetch(this.endpoint("v1/feedback"), {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(body),
        });
        if (!response.ok) throw new Error(await errorMessage(response));
        this.parts.feedbackStatus.textContent = "Thanks for the feedback.";
      } catch (error) {
        for (const other of buttons) other.disabled = false;
        button.setAttribute("aria-pressed", "false");
        this.parts.feedbackStatus.textContent = "The feedback could not be sent.";
      }
    }
  }

  if (!customElements.get(TAG)) customElements.define(TAG, NutgrafAsk);

  if (script && script.dataset.article !== undefined) {
    const widget = document.createElement(TAG);
    if (script.dataset.article) widget.setAttribute("article", script.dataset.article);
    if (script.dataset.api) widget.setAttribute("api", script.dataset.api);
    script.after(widget);
  }
})();
