// support-bot demo page: polls /api/state, shows the HTML the server rendered, and turns clicks,
// typing and form submissions into the POST calls of the demo's HTTP API. No libraries, no network
// beyond this server. The server's HTML is made safe by demo/render.py; this file only inserts it.
"use strict";

(function () {
  const POLL_MS = 700;
  const $ = (id) => document.getElementById(id);
  const els = {
    sidebar: $("sidebar"),
    persona: $("persona"),
    convName: $("conv-name"),
    convTopic: $("conv-topic"),
    messages: $("messages"),
    composerForm: $("composer-form"),
    composer: $("composer"),
    hint: $("hint"),
    thread: $("thread"),
    threadWhere: $("thread-where"),
    threadMessages: $("thread-messages"),
    threadForm: $("thread-form"),
    threadComposer: $("thread-composer"),
    threadClose: $("thread-close"),
    overlay: $("overlay"),
    toast: $("toast"),
    intro: $("intro"),
  };

  // What the page shows: persona, conversation, thread live in the URL hash.
  const view = { persona: null, conversation: null, thread: null };
  // What was last put on the page, to replace panes only when something changed.
  const shown = {
    key: null, version: null, sidebar: null, main: null, thread: null,
    modalHtml: null, modalViewId: null, notice: undefined, personas: null,
  };
  let state = null;
  const drafts = {}; // typed but unsent text, per persona + conversation (+ thread)

  // --- the URL hash ------------------------------------------------------------------------------

  function readHash() {
    const params = new URLSearchParams(location.hash.replace(/^#/, ""));
    view.persona = params.get("persona") || view.persona;
    view.conversation = params.get("conversation") || view.conversation;
    view.thread = params.get("thread") || null;
  }

  function writeHash() {
    const params = new URLSearchParams();
    if (view.persona) params.set("persona", view.persona);
    if (view.conversation) params.set("conversation", view.conversation);
    if (view.thread) params.set("thread", view.thread);
    const hash = "#" + params.toString();
    if (location.hash !== hash) history.replaceState(null, "", hash);
  }

  function go(changes) {
    saveDrafts();
    Object.assign(view, changes);
    writeHash();
    restoreDrafts();
    poll();
  }

  // --- talking to the server ---------------------------------------------------------------------

  let polling = false;
  let pollAgain = false;
  let pollTimer = null;
  let failures = 0;

  function currentQuery() {
    const params = new URLSearchParams();
    if (view.persona) params.set("persona", view.persona);
    if (view.conversation) params.set("conversation", view.conversation);
    if (view.thread) params.set("thread", view.thread);
    return params.toString();
  }

  async function poll() {
    if (polling) { pollAgain = true; return; }
    polling = true;
    clearTimeout(pollTimer);
    try {
      const asked = currentQuery();
      const response = await fetch("/api/state?" + asked, { cache: "no-store" });
      if (!response.ok) throw new Error("the demo server answered " + response.status);
      const next = await response.json();
      if (asked === currentQuery()) apply(next);
      else pollAgain = true; // the view moved on while this was under way: ask again
      if (failures) toast("Connected again.");
      failures = 0;
    } catch (error) {
      failures += 1;
      if (failures === 1) toast("Lost contact with the demo server: retrying… (" + error.message + ")", true);
    } finally {
      polling = false;
      if (pollAgain) { pollAgain = false; poll(); }
      else pollTimer = setTimeout(poll, failures ? Math.min(POLL_MS * 2 ** failures, 5000) : POLL_MS);
    }
  }

  async function post(path, body) {
    try {
      const response = await fetch(path, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(Object.assign({ persona: view.persona }, body)),
      });
      let answer = null;
      try { answer = await response.json(); } catch (_) { answer = null; }
      if (!answer || !answer.ok) {
        toast((answer && answer.error) || "The demo server answered " + response.status, true);
        return false;
      }
      return true;
    } catch (error) {
      toast("Could not reach the demo server: " + error.message, true);
      return false;
    } finally {
      poll();
    }
  }

  // --- showing the state -------------------------------------------------------------------------

  function apply(next) {
    state = next;
    const firstLoad = shown.key === null;
    if (next.persona && next.persona !== view.persona) view.persona = next.persona;
    if (next.conversation && next.conversation.id && next.conversation.id !== view.conversation) {
      saveDrafts();
      view.conversation = next.conversation.id;
      restoreDrafts();
    }
    writeHash();
    const key = [view.persona, view.conversation, view.thread].join("|");
    const moved = key !== shown.key;
    const changed = moved || next.version !== shown.version;

    renderPersonas(next.personas || []);
    renderSidebar(next.sidebar || []);
    renderHeader(next.conversation || {});
    renderComposer(next.composer || {}, (next.conversation || {}).kind);
    if (changed) {
      renderMain(next.main_html || "", moved);
      renderThread(next.thread_html, moved);
    }
    renderModal(next.modal_html || null);
    renderNotice(next.notice || null, firstLoad);
    shown.key = key;
    shown.version = next.version;
  }

  function renderPersonas(personas) {
    const signature = JSON.stringify(personas);
    if (signature !== shown.personas) {
      shown.personas = signature;
      els.persona.replaceChildren(...personas.map((p) => {
        const option = document.createElement("option");
        option.value = p.id;
        option.textContent = p.title ? p.name + " · " + p.title : p.name;
        return option;
      }));
    }
    if (view.persona && els.persona.value !== view.persona) els.persona.value = view.persona;
  }

  const SECTIONS = ["Channels", "Direct messages", "Apps"];
  const ICONS = { channel: "#", shared: "#", dm: "●", home: "⌂" };

  function renderSidebar(items) {
    const signature = JSON.stringify([items, view.conversation]);
    if (signature === shown.sidebar) return;
    shown.sidebar = signature;
    const sections = SECTIONS.concat(items.map((i) => i.section).filter((s) => !SECTIONS.includes(s)));
    const nodes = [];
    for (const section of sections) {
      const members = items.filter((i) => (i.section || "Channels") === section);
      if (!members.length) continue;
      const heading = document.createElement("div");
      heading.className = "sidebar-section";
      heading.textContent = section;
      nodes.push(heading);
      for (const item of members) {
        const link = document.createElement("a");
        link.href = "#";
        link.className = "sidebar-item" + (item.id === view.conversation ? " active" : "");
        link.dataset.testid = "conv-" + item.name;
        link.dataset.conversation = item.id;
        const icon = document.createElement("span");
        icon.className = "sidebar-icon kind-" + item.kind;
        icon.textContent = ICONS[item.kind] || "#";
        const name = document.createElement("span");
        name.className = "sidebar-name";
        name.textContent = item.name;
        link.append(icon, name);
        if (item.kind === "shared") {
          const badge = document.createElement("span");
          badge.className = "shared-badge";
          badge.title = "Shared with another organisation (Slack Connect)";
          badge.textContent = "⇄";
          link.append(badge);
        }
        nodes.push(link);
      }
    }
    els.sidebar.replaceChildren(...nodes);
  }

  function renderHeader(conversation) {
    const prefix = conversation.kind === "channel" || conversation.kind === "shared" ? "# " : "";
    els.convName.textContent = conversation.name ? prefix + conversation.name : "…";
    els.convTopic.textContent = conversation.topic || "";
    document.title = (conversation.name ? prefix + conversation.name + " · " : "") + "support-bot demo";
  }

  function renderComposer(composer, kind) {
    const home = kind === "home"; // App Home has no composer in Slack
    els.composerForm.hidden = home;
    els.hint.hidden = home;
    els.composer.placeholder = composer.placeholder || "Message";
    const enabled = composer.enabled !== false;
    els.composer.disabled = !enabled;
    els.composerForm.classList.toggle("disabled", !enabled);
  }

  function nearBottom(element) {
    return element.scrollHeight - element.scrollTop - element.clientHeight < 80;
  }

  function renderMain(html, moved) {
    if (html === shown.main && !moved) return;
    const stick = moved || nearBottom(els.messages);
    shown.main = html;
    els.messages.innerHTML = html || '<div class="empty">No messages here yet.</div>';
    localTimes(els.messages);
    if (stick) els.messages.scrollTop = els.messages.scrollHeight;
  }

  function renderThread(html, moved) {
    const open = Boolean(view.thread && html);
    els.thread.hidden = !open;
    document.body.classList.toggle("thread-open", open);
    if (!open) { shown.thread = null; return; }
    if (html === shown.thread && !moved) return;
    const stick = moved || nearBottom(els.threadMessages);
    shown.thread = html;
    els.threadMessages.innerHTML = html;
    localTimes(els.threadMessages);
    const name = state && state.conversation ? state.conversation.name : "";
    els.threadWhere.textContent = name ? "# " + name : "";
    if (stick) els.threadMessages.scrollTop = els.threadMessages.scrollHeight;
  }

  // Times arrive in UTC; show them in the viewer's time zone.
  function localTimes(root) {
    for (const time of root.querySelectorAll("time[datetime]")) {
      const when = new Date(time.getAttribute("datetime"));
      if (!isNaN(when)) {
        time.textContent = when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
        time.title = when.toLocaleString();
      }
    }
  }

  function currentForm() {
    return els.overlay.querySelector("form.modal");
  }

  function formValues(form) {
    const values = {};
    for (const control of form.querySelectorAll("[name]")) {
      if (control.closest("[data-action-id]")) continue; // an action element in the modal, not a field
      const name = control.name;
      if (!(name in values)) values[name] = [];
      if (control.type === "radio" || control.type === "checkbox") {
        if (control.checked) values[name].push(control.value);
      } else if (control.tagName === "SELECT") {
        for (const option of control.selectedOptions) if (option.value !== "") values[name].push(option.value);
      } else if (control.value !== "") {
        values[name].push(control.value);
      }
    }
    return values;
  }

  function restoreValues(form, values) {
    for (const control of form.querySelectorAll("[name]")) {
      const wanted = values[control.name];
      if (wanted === undefined) continue;
      if (control.type === "radio" || control.type === "checkbox") control.checked = wanted.includes(control.value);
      else if (control.tagName === "SELECT") {
        for (const option of control.options) option.selected = wanted.includes(option.value);
      } else control.value = wanted[0] || "";
    }
  }

  // What was typed in a modal that left the screen (another persona's view came up): its view id ->
  // the form's values, put back if that modal shows again.
  const modalDrafts = {};

  function keepModalDraft() {
    const old = currentForm();
    if (old && old.dataset.viewId) modalDrafts[old.dataset.viewId] = formValues(old);
  }

  function renderModal(html) {
    if (!html) {
      keepModalDraft();
      if (!els.overlay.hidden) {
        els.overlay.hidden = true;
        els.overlay.replaceChildren();
      }
      shown.modalHtml = null;
      shown.modalViewId = null;
      return;
    }
    if (html === shown.modalHtml) return; // the person may be typing in it: leave it alone
    const template = document.createElement("template");
    template.innerHTML = html;
    const incoming = template.content.querySelector("[data-view-id]");
    const viewId = incoming ? incoming.dataset.viewId : null;
    const old = currentForm();
    keepModalDraft();
    const keep = old && viewId === shown.modalViewId ? formValues(old) : modalDrafts[viewId] || null;
    const focused = old && old.contains(document.activeElement) ? document.activeElement.name : null;
    els.overlay.replaceChildren(template.content);
    els.overlay.hidden = false;
    shown.modalHtml = html;
    const form = currentForm();
    if (form && keep) restoreValues(form, keep); // same view, errors appeared: keep what was typed
    if (form) {
      const error = form.querySelector(".bk-error");
      const again = focused ? form.querySelector('[name="' + CSS.escape(focused) + '"]') : null;
      const first = form.querySelector("input:not([type=radio]):not([type=checkbox]), textarea, select");
      const target = viewId === shown.modalViewId ? again : first;
      if (target) target.focus();
      if (error) error.scrollIntoView({ block: "nearest" });
    }
    shown.modalViewId = viewId;
  }

  let toastTimer = null;
  function toast(text, isError) {
    els.toast.textContent = text;
    els.toast.classList.toggle("error", Boolean(isError));
    els.toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { els.toast.hidden = true; }, isError ? 7000 : 4500);
  }

  function renderNotice(notice, firstLoad) {
    const key = view.persona + "|" + notice;
    if (notice && key !== shown.notice && !firstLoad) toast(notice, false);
    shown.notice = key;
  }

  // --- drafts: typed text survives re-renders and conversation switches ----------------------------

  function draftKey(kind) {
    return [view.persona, view.conversation, kind === "thread" ? view.thread : ""].join("|");
  }

  function saveDrafts() {
    drafts[draftKey("main")] = els.composer.value;
    if (view.thread) drafts[draftKey("thread")] = els.threadComposer.value;
  }

  function restoreDrafts() {
    els.composer.value = drafts[draftKey("main")] || "";
    els.threadComposer.value = view.thread ? drafts[draftKey("thread")] || "" : "";
    autosize(els.composer);
    autosize(els.threadComposer);
  }

  function autosize(textarea) {
    textarea.style.height = "auto";
    textarea.style.height = Math.min(textarea.scrollHeight, 200) + "px";
  }

  // --- sending -----------------------------------------------------------------------------------

  async function send(textarea, threadTs) {
    const text = textarea.value;
    if (!text.trim() || textarea.disabled) return;
    const body = { conversation: view.conversation, text: text };
    if (threadTs) body.thread_ts = threadTs;
    textarea.disabled = true;
    const ok = await post("/api/message", body);
    textarea.disabled = false;
    if (ok && textarea.value === text) {
      textarea.value = "";
      autosize(textarea);
      saveDrafts();
    }
    textarea.focus();
  }

  function onComposerKey(event, textarea, threadTs) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send(textarea, threadTs());
    }
  }

  els.composer.addEventListener("keydown", (e) => onComposerKey(e, els.composer, () => null));
  els.threadComposer.addEventListener("keydown", (e) => onComposerKey(e, els.threadComposer, () => view.thread));
  els.composer.addEventListener("input", () => autosize(els.composer));
  els.threadComposer.addEventListener("input", () => autosize(els.threadComposer));
  els.composerForm.addEventListener("submit", (e) => { e.preventDefault(); send(els.composer, null); });
  els.threadForm.addEventListener("submit", (e) => { e.preventDefault(); send(els.threadComposer, view.thread); });
  els.threadClose.addEventListener("click", () => go({ thread: null }));

  els.persona.addEventListener("change", () => {
    go({ persona: els.persona.value, thread: null });
  });

  // --- interactive elements ----------------------------------------------------------------------

  function sidebarHas(conversation) {
    return Boolean(state && (state.sidebar || []).some((item) => item.id === conversation));
  }

  function openConversation(conversation, thread) {
    if (!sidebarHas(conversation)) {
      const who = state && (state.personas || []).find((p) => p.id === view.persona);
      toast((who ? who.name : "This persona") + " can't see that conversation.", true);
      return;
    }
    go({ conversation: conversation, thread: thread || null });
  }

  function action(element, value) {
    const body = {
      where: element.dataset.where,
      block_id: element.dataset.blockId,
      action_id: element.dataset.actionId,
    };
    if (value !== undefined) body.value = value;
    return post("/api/action", body);
  }

  function confirmed(element) {
    return !element.dataset.confirm || window.confirm(element.dataset.confirm);
  }

  // A url button opens its link; a Slack "open this channel" link opens it here instead.
  function followUrl(url) {
    try {
      const parsed = new URL(url);
      const channel = parsed.searchParams.get("channel");
      if (parsed.hostname.endsWith("slack.com") && channel) {
        if (sidebarHas(channel)) go({ conversation: channel, thread: null });
        return;
      }
    } catch (_) { return; }
    window.open(url, "_blank", "noopener,noreferrer");
  }

  function onOp(element, event) {
    const op = element.dataset.op;
    const d = element.dataset;
    if (op === "open-thread") { event.preventDefault(); go({ thread: d.thread || d.ts }); return; }
    if (op === "open-conversation") { event.preventDefault(); openConversation(d.channel, null); return; }
    if (op === "open-link") { event.preventDefault(); openConversation(d.channel, d.thread || d.ts); return; }
    if (op === "close-modal") { closeModal(); return; }
    if (op === "react") {
      post("/api/op", { op: "react", conversation: d.channel, ts: d.ts, name: d.name });
      return;
    }
    if (op === "shortcut") {
      post("/api/op", { op: "shortcut", conversation: d.channel, ts: d.ts, callback_id: d.callbackId });
    }
  }

  document.addEventListener("click", (event) => {
    const sidebarItem = event.target.closest(".sidebar-item");
    if (sidebarItem) {
      event.preventDefault();
      go({ conversation: sidebarItem.dataset.conversation, thread: null });
      return;
    }
    const op = event.target.closest("[data-op]");
    if (op) { onOp(op, event); return; }
    if (event.target.closest('[data-testid="modal-close"]')) { closeModal(); return; }
    const button = event.target.closest("button[data-action-id]");
    if (button) {
      if (!confirmed(button)) return;
      if (button.dataset.url) followUrl(button.dataset.url);
      action(button);
    }
  });

  document.addEventListener("change", (event) => {
    const target = event.target;
    const element = target.closest("[data-action-id]"); // a modal's form fields have none: sent on submit
    if (!element) return;
    let value = target.value;
    if (element.dataset.type === "checkboxes") {
      value = Array.from(element.querySelectorAll("input:checked")).map((i) => i.value).join("\n");
    } else if (!value) {
      return;
    }
    const reset = () => { if (target.tagName === "SELECT") target.value = ""; };
    if (!confirmed(element)) { reset(); return; }
    action(element, value);
    if (element.dataset.type === "overflow") reset(); // a menu, not a setting
  });

  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form.modal");
    if (!form) return;
    event.preventDefault();
    const submit = form.querySelector('[data-testid="modal-submit"]');
    if (submit) submit.disabled = true;
    post("/api/submit", { view_id: form.dataset.viewId, values: formValues(form) }).then(() => {
      const again = form.querySelector('[data-testid="modal-submit"]');
      if (again) again.disabled = false;
    });
  });

  function closeModal() {
    const form = currentForm();
    if (!form) return;
    post("/api/close", { view_id: form.dataset.viewId });
  }

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      if (!els.overlay.hidden) closeModal();
      else if (view.thread) go({ thread: null });
    }
  });

  els.overlay.addEventListener("mousedown", (event) => {
    if (event.target === els.overlay) closeModal();
  });

  // --- the intro panel remembers whether it was open ----------------------------------------------

  try {
    els.intro.open = localStorage.getItem("demo-intro") !== "closed";
    els.intro.addEventListener("toggle", () => {
      localStorage.setItem("demo-intro", els.intro.open ? "open" : "closed");
    });
  } catch (_) {
    els.intro.open = true;
  }

  window.addEventListener("hashchange", () => { saveDrafts(); readHash(); restoreDrafts(); poll(); });
  readHash();
  poll();
})();
