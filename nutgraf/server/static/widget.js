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
 *
 * Citations highlight the cited sentence in the page when the page marks its sentences up as
 *   <div data-article="ARTICLE_ID"> ... <span data-sentence="N">...</span> ... </div>
 * (N is the sentence index nutgraf reports); otherwise the widget quotes the sentence itself.
 *
 * Everything that comes from a question or an article is set as text, never as HTML.
 */
(() => {
  "use strict";

  const script = document.currentScript;
  const defaultApi = new URL(".", script && script.src ? script.src : location.href).href;
  const TAG = "nutgraf-ask";
  const CITED = "data-nutgraf-cited";
  const RELATED_RETRIES = 20;  // about 17 minutes of asking again, at most once a minute

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
    button:focus-visible { outline: 3px solid var(--_accent); outline-offset: 2px; }
    button:disabled { cursor: default; opacity: 0.6; }
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
    .asked { margin: 0 0 6px; color: var(--_muted); font-size: 14px; overflow-wrap: anywhere; }
    .verdict {
      display: inline-block;
      margin: 0 0 8px;
      padding: 2px 10px;
      border-radius: 999px;
      background: #fdf0e1;
      color: #8a4510;
      font-size: 12px;
      font-weight: 700;
      letter-spacing: 0.06em;
      text-transform: uppercase;
    }
    .answer-text { margin: 0; font-size: 20px; font-weight: 650; line-height: 1.4; overflow-wrap: anywhere; }
    .answer-text::first-letter { text-transform: uppercase; }
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
    @keyframes blink { to { visibility: hidden; } }
    .cite {
      display: inline-flex;
      align-items: center;
      justify-content: center;
      min-width: 24px;
      height: 24px;
      margin-left: 6px;
      padding: 0 6px;
      border: 1px solid var(--_accent);
      border-radius: 12px;
      background: transparent;
      color: var(--_accent);
      font-size: 12px;
      font-weight: 700;
      font-style: normal;
      vertical-align: 3px;
    }
    .cite:hover, .cite[aria-pressed="true"] { background: var(--_accent); color: #fff; }
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
    .related { margin-top: 22px; }
    .related-title {
      margin: 0 0 4px;
      color: var(--_muted);
      font-size: 13px;
      font-weight: 700;
      letter-spacing: 0.08em;
      text-transform: uppercase;
    }
    .related ul { list-style: none; margin: 0; padding: 0; }
    .related-pending { margin: 8px 0; color: var(--_muted); font-size: 15px; font-style: italic; }
    .related li + li { border-top: 1px solid var(--_border); }
    .related button {
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
    .related button::after { content: "\\2192"; color: var(--_accent); font-weight: 700; }
    .related button:hover { color: var(--_accent); }
    .elsewhere {
      margin-left: 6px;
      padding: 1px 8px;
      border: 1px solid var(--_border);
      border-radius: 999px;
      color: var(--_muted);
      font-size: 12px;
      white-space: nowrap;
      vertical-align: 2px;
    }
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
    }
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
      <div class="result" tabindex="-1" hidden>
        <p class="asked"></p>
        <div class="answer" aria-live="polite" aria-busy="false">
          <p class="verdict" hidden>Not in the article</p>
          <p class="answer-text"><span class="text"></span><span class="cites"></span></p>
          <div class="quotes"></div>
        </div>
        <div class="feedback" role="group" aria-labelledby="feedback-label" hidden>
          <span class="feedback-label" id="feedback-label">Was this answer useful?</span>
          <button type="button" data-rating="helpful" aria-pressed="false">Helpful</button>
          <button type="button" data-rating="not_helpful" aria-pressed="false">Not helpful</button>
          <button type="button" data-rating="wrong_citation" aria-pressed="false">Wrong citation</button>
          <span class="feedback-status" role="status"></span>
        </div>
      </div>
      <p class="error" role="alert" hidden></p>
      <div class="related" hidden>
        <h3 class="related-title" id="related-title">Explore related questions</h3>
        <p class="related-pending" hidden>Finding the questions this story answers\u2026</p>
        <ul aria-labelledby="related-title"></ul>
      </div>
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

  let pageStyled = false;

  // The highlight lives in the host page, outside the shadow root, so it needs one rule there.
  function stylePage() {
    if (pageStyled) return;
    pageStyled = true;
    const css = `[${CITED}] {
      background: var(--nutgraf-highlight, #fff1a8);
      box-shadow: 0 0 0 3px var(--nutgraf-highlight, #fff1a8);
      border-radius: 2px;
      transition: background-color 0.3s;
    }`;
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet(css)];
  }

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

  class NutgrafAsk extends HTMLElement {
    connectedCallback() {
      if (!this.shadowRoot) this.build();
      this.loadRelated();
    }

    disconnectedCallback() {
      if (this.request) this.request.abort();
      clearTimeout(this.relatedRetry);
    }

    get article() {
      return this.getAttribute("article") || null;
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
        form: $("form"), input: $("input"), button: $(".ask"), result: $(".result"),
        asked: $(".asked"), answer: $(".answer"), verdict: $(".verdict"), text: $(".answer-text"),
        words: $(".answer-text .text"), cites: $(".cites"), quotes: $(".quotes"),
        feedback: $(".feedback"), feedbackStatus: $(".feedback-status"), error: $(".error"),
        related: $(".related"), relatedList: $(".related ul"), relatedPending: $(".related-pending"),
      };
      this.conversation = null;
      if (!this.article) {
        root.querySelector(".hint").textContent = "Answers come from the archive and cite the sentences they rest on.";
        this.parts.input.placeholder = "Ask a question about the news";
        this.parts.verdict.textContent = "Not in the articles";
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

    // `article` differs from the widget's own for a related question another story answers.
    async ask(question, article = this.article) {
      question = question.trim();
      if (!question) {
        this.showError("Type a question first.");
        this.parts.input.focus();
        return;
      }
      if (this.request) this.request.abort();
      const request = (this.request = new AbortController());
      this.answer = null;
      this.answerArticle = article;
      this.startAnswer(question);
      try {
        const response = await fetch(this.endpoint("v1/ask"), {
          method: "POST",
          headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
          body: JSON.stringify({ question, article_id: article, conversation_id: this.conversation }),
          signal: request.signal,
        });
        if (!response.ok) throw new Error(await errorMessage(response));
        if (!(response.headers.get("content-type") || "").startsWith("text/event-stream")) {
          this.finishAnswer(await response.json());
          return;
        }
        for await (const event of readEvents(response)) {
          if (event.type === "delta") this.addWords(event.data.text);
          else if (event.type === "answer") this.finishAnswer(event.data);
          else if (event.type === "error") throw new Error(event.data.error.message);
        }
        if (!this.answer) throw new Error("The answer was cut off. Please try again.");
      } catch (error) {
        if (request.signal.aborted) return;
        this.parts.result.hidden = true;
        this.showError(error instanceof TypeError ? "The answer service could not be reached." : error.message);
      } finally {
        if (this.request === request) {
          this.request = null;
          this.setBusy(false);
        }
      }
    }

    startAnswer(question) {
      const p = this.parts;
      this.showError(null);
      this.setBusy(true);
      p.result.hidden = false;
      p.asked.textContent = `You asked: ${question}`;
      p.verdict.hidden = true;
      p.text.className = "answer-text pending";
      p.words.textContent = "Reading the article\u2026";
      p.cites.replaceChildren();
      p.quotes.replaceChildren();
      p.feedback.hidden = true;
      this.streamed = "";
      clearHighlight();
    }

    addWords(text) {
      const p = this.parts;
      this.streamed += text;
      p.text.className = "answer-text streaming";
      p.words.textContent = this.streamed;
    }

    // The final answer replaces whatever was streamed: it may abstain after all.
    finishAnswer(answer) {
      const p = this.parts;
      this.answer = answer;
      this.conversation = answer.conversation_id || this.conversation;
      p.verdict.hidden = answer.answerable;
      p.text.className = answer.answerable ? "answer-text" : "answer-text abstained";
      p.words.textContent = answer.answerable ? answer.answer : answer.note || "The article does not say.";
      p.cites.replaceChildren(...answer.citations.map((citation, i) => this.citeButton(citation, i + 1)));
      this.resetFeedback();
      p.feedback.hidden = false;
      this.showRelated(answer);
    }

    setBusy(busy) {
      this.parts.button.disabled = busy;
      this.parts.button.textContent = busy ? "Asking\u2026" : "Ask";
      this.parts.answer.setAttribute("aria-busy", String(busy));
    }

    showError(message) {
      this.parts.error.hidden = !message;
      this.parts.error.textContent = message || "";
    }

    // -- citations

    citeButton(citation, number) {
      const button = el("button", "cite", String(number));
      button.type = "button";
      button.setAttribute("aria-pressed", "false");
      button.setAttribute("aria-label", `Source ${number}: show the cited sentence`);
      button.title = citation.text;
      button.addEventListener("click", () => this.showCitation(citation, number, button));
      return button;
    }

    showCitation(citation, number, button) {
      for (const other of this.parts.cites.children) other.setAttribute("aria-pressed", "false");
      button.setAttribute("aria-pressed", "true");
      if (highlight(citation)) return;
      const existing = this.parts.quotes.querySelector(`[data-number="${number}"]`);
      this.parts.quotes.replaceChildren();
      if (existing) {
        button.setAttribute("aria-pressed", "false");
        return;
      }
      const quote = el("blockquote", "quote");
      quote.dataset.number = String(number);
      quote.append(el("span", "quote-label", `Source ${number}, from the article`), citation.text);
      this.parts.quotes.append(quote);
    }

    // -- related questions

    // The server may still be working the questions out ("pending"): ask again, less and less often.
    async loadRelated(after, attempt = 0) {
      if (!this.article) return;
      clearTimeout(this.relatedRetry);
      const request = (this.relatedRequest = (this.relatedRequest || 0) + 1);
      try {
        const params = { article_id: this.article, after, conversation_id: after ? this.conversation : null };
        const response = await fetch(this.endpoint("v1/related", params), { headers: { Accept: "application/json" } });
        if (!response.ok) throw new Error(await errorMessage(response));
        const body = await response.json();
        if (request !== this.relatedRequest) return;  // a newer list is on its way
        if (body.pending && attempt < RELATED_RETRIES) {
          this.parts.related.hidden = false;
          this.parts.relatedPending.hidden = false;
          const seconds = Math.min(60, 5 * 2 ** attempt);
          this.relatedRetry = setTimeout(() => this.loadRelated(after, attempt + 1), seconds * 1000);
          return;
        }
        this.renderRelated(body.questions || []);
      } catch (error) {
        console.warn("nutgraf: related questions unavailable:", error.message);
      }
    }

    showRelated(answer) {
      if (answer.related && answer.related.length) this.renderRelated(answer.related);
      else this.loadRelated(answer.question);
    }

    renderRelated(questions) {
      const items = questions.map((item) => {
        const button = el("button");
        button.type = "button";
        const elsewhere = item.article_id && this.article && item.article_id !== this.article;
        const label = el("span", "question", item.question);
        if (elsewhere) {
          label.append(" ", el("span", "elsewhere", "Another story"));
          if (item.article_title) button.title = `From \u201c${item.article_title}\u201d`;
        }
        button.append(label);
        button.addEventListener("click", () => {
          this.parts.input.value = item.question;
          this.ask(item.question, elsewhere ? item.article_id : this.article);
          this.parts.result.focus();
        });
        const li = el("li");
        li.append(button);
        return li;
      });
      this.parts.relatedList.replaceChildren(...items);
      this.parts.relatedPending.hidden = true;
      this.parts.related.hidden = items.length === 0;
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
        citations: answer.citations.map(({ article_id, sentence_index, text }) => ({ article_id, sentence_index, text })),
        article_id: this.answerArticle,
        conversation_id: answer.conversation_id,
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

  function clearHighlight() {
    for (const node of document.querySelectorAll(`[${CITED}]`)) node.removeAttribute(CITED);
  }

  // The cited sentence in the page, highlighted and scrolled to; false when the page lacks it.
  function highlight(citation) {
    const article = CSS.escape(citation.article_id);
    const index = Number(citation.sentence_index);
    const target = document.querySelector(
      `[data-article="${article}"]:not(script):not(${TAG}) [data-sentence="${index}"]`);
    if (!target) return false;
    stylePage();
    clearHighlight();
    target.setAttribute(CITED, "");
    const smooth = !matchMedia("(prefers-reduced-motion: reduce)").matches;
    target.scrollIntoView({ behavior: smooth ? "smooth" : "auto", block: "center" });
    return true;
  }

  if (!customElements.get(TAG)) customElements.define(TAG, NutgrafAsk);

  if (script && script.dataset.article !== undefined) {
    const widget = document.createElement(TAG);
    if (script.dataset.article) widget.setAttribute("article", script.dataset.article);
    if (script.dataset.api) widget.setAttribute("api", script.dataset.api);
    script.after(widget);
  }
})();
