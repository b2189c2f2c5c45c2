// palabre's page: one WebSocket to /ws, JSON messages of version 1.
// Every text from the server is put in the page as text (textContent),
// never as HTML. The words are the server's, in data- attributes.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const text = $("text").dataset;
  const say = (key, n) => (text[key] || "").replace("{n}", String(n));
  const lang = document.documentElement.lang;
  const needsPassword = document.body.dataset.password === "true";
  const keep = 1000; // messages kept in the page: older ones go

  const params = new URLSearchParams(location.search);
  const join = $("join"), chat = $("chat"), log = $("log");
  $("name").value = params.get("name") || localStorage.getItem("palabre.name") || "";
  $("room").value = params.get("room") || "";

  let ws = null;          // the socket now, if any
  let want = null;        // what the hello asks: name, room, password
  let me = "";            // the name the server gave
  let resume = "";        // the token of the member this tab was
  let lastSeq = 0;        // the last numbered message shown
  let welcomed = false;   // a welcome came at least once
  let attempt = 0;        // reconnections since the last welcome
  let timer = 0;

  function setState(state, label) {
    const el = $("state");
    el.dataset.state = state;
    el.textContent = label;
  }

  join.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const name = $("name").value.trim();
    if (name) localStorage.setItem("palabre.name", name);
    want = { name, room: $("room").value.trim().replace(/^#/, ""), password: needsPassword ? $("password").value : "" };
    resume = "";
    connect();
  });

  $("say").addEventListener("submit", (ev) => {
    ev.preventDefault();
    send();
  });
  $("line").addEventListener("keydown", (ev) => {
    // Enter sends; Shift+Enter starts a new line (a block of code).
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      send();
    }
  });

  function send() {
    const line = $("line");
    if (!line.value.trim() || !ws || ws.readyState !== WebSocket.OPEN) return;
    ws.send(JSON.stringify({ v: 1, type: "say", text: line.value }));
    line.value = "";
  }

  function connect() {
    clearTimeout(timer);
    setState("connecting", say("connecting"));
    const url = new URL("ws", location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    url.search = "";
    const sock = new WebSocket(url);
    ws = sock;
    let entered = false, bye = null;
    sock.addEventListener("open", () => {
      sock.send(JSON.stringify({ v: 1, type: "hello", name: want.name, room: want.room, password: want.password, lang, resume }));
    });
    sock.addEventListener("message", (ev) => {
      // A frame holds one message or several, one JSON object a line.
      const msgs = [];
      for (const line of String(ev.data).split("\n")) {
        if (!line) continue;
        let m;
        try { m = JSON.parse(line); } catch { continue; }
        if (m.v !== 1) continue;
        if (m.type === "msg") { msgs.push(m); continue; }
        if (msgs.length) show(msgs.splice(0));
        switch (m.type) {
          case "welcome": entered = true; welcome(m); break;
          case "room": roster(m); break;
          case "bye": bye = m; break;
        }
      }
      if (msgs.length) show(msgs);
    });
    sock.addEventListener("close", () => {
      if (ws !== sock) return;
      ws = null;
      if (bye && !entered) return refused(bye.reason);
      if (bye && ["quit", "kicked", "banned"].includes(bye.code)) return left(bye.reason);
      retry();
    });
  }

  // retry comes back after a pause that grows (1, 2, 4 … 15 s), with a
  // little chance in it, so that a class does not come back all at once.
  function retry() {
    const wait = Math.min(15, 2 ** Math.min(attempt, 4)) * (0.75 + Math.random() / 2);
    attempt++;
    let left = Math.ceil(wait);
    setState("offline", say("offline", left));
    const tick = () => {
      left--;
      if (left <= 0) return connect();
      setState("offline", say("offline", left));
      timer = setTimeout(tick, 1000);
    };
    timer = setTimeout(tick, (wait - Math.ceil(wait) + 1) * 1000);
  }

  function refused(reason) {
    setState("idle", "");
    chat.hidden = true;
    join.hidden = false;
    $("refusal").textContent = reason;
    $("refusal").hidden = false;
    $("name").focus();
  }

  function left(reason) {
    setState("left", say("left"));
    show([{ kind: "leave", system: reason }]);
    join.hidden = false;
    $("refusal").hidden = true;
    $("line").disabled = true;
    resume = "";
  }

  function welcome(m) {
    me = m.name;
    resume = m.resume;
    attempt = 0;
    want.room = m.room;
    setState("online", say("connected"));
    join.hidden = true;
    chat.hidden = false;
    $("line").disabled = false;
    $("refusal").hidden = true;
    const history = m.history || [];
    if (!welcomed) {
      if (history.length) show([{ divider: say("earlier") }, ...history], true);
    } else {
      // Back after a drop: what was said meanwhile, if the room's history
      // still holds it.
      const missed = history.filter((h) => h.seq > lastSeq);
      show([{ divider: missed.length ? say("missed", missed.length) : say("nothingMissed") }, ...missed], true);
    }
    welcomed = true;
    $("line").focus();
  }

  function roster(m) {
    $("roomname").textContent = "#" + m.room;
    $("topic").textContent = m.topic || "";
    document.title = "#" + m.room + " · palabre";
    want.room = m.room;
    const ul = $("members");
    ul.replaceChildren(...m.members.map((x) => {
      const li = document.createElement("li");
      li.textContent = (x.op ? "@" : "") + x.name + (x.hand ? " ✋" : "");
      if (x.name === me) li.className = "me";
      const door = document.createElement("span");
      door.className = "door";
      door.textContent = x.door;
      li.append(door);
      const notes = [x.op && say("op"), x.hand && say("hand")].filter(Boolean);
      if (notes.length) li.title = notes.join(", ");
      return li;
    }));
    if (m.count > m.members.length) {
      const li = document.createElement("li");
      li.textContent = say("more", m.count - m.members.length);
      ul.append(li);
    }
    $("count").textContent = "(" + m.count + ")";
  }

  // show adds messages at the end of the log; past ones (history) are
  // added quietly, so that a screen reader does not read the whole past.
  function show(msgs, past) {
    const atEnd = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    if (past) log.setAttribute("aria-busy", "true");
    for (const m of msgs) {
      log.append(item(m));
      if (m.seq > lastSeq) lastSeq = m.seq;
      if (m.kind === "move" && m.history && m.history.length) {
        for (const h of m.history) {
          log.append(item(h));
          if (h.seq > lastSeq) lastSeq = h.seq;
        }
      }
      if (m.kind === "nick" && m.from === me) me = m.to;
    }
    while (log.children.length > keep) log.firstElementChild.remove();
    if (past) log.removeAttribute("aria-busy");
    if (atEnd) log.scrollTop = log.scrollHeight;
  }

  function item(m) {
    const li = document.createElement("li");
    if (m.divider) {
      li.className = "divider";
      li.setAttribute("role", "separator");
      li.textContent = m.divider;
      return li;
    }
    li.className = "msg " + (m.kind || "");
    if (m.seq) li.dataset.seq = m.seq;
    if (m.mine) li.classList.add("mine");
    if (m.mention) li.classList.add("mention");
    if (m.at) {
      const t = document.createElement("time");
      t.dateTime = m.at;
      t.textContent = new Date(m.at).toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
      li.append(t);
    }
    if (m.system !== undefined && m.system !== "") {
      li.classList.add("system");
      li.append(document.createTextNode(m.system));
      return li;
    }
    const from = document.createElement("span");
    from.className = "from";
    switch (m.kind) {
      case "action": from.textContent = "* " + m.from; break;
      case "private": from.textContent = m.from + " → " + m.to; break;
      default: from.textContent = m.from;
    }
    li.append(from);
    if (m.syntax) {
      const syntax = document.createElement("span");
      syntax.className = "syntax";
      syntax.textContent = "(" + m.syntax + ")";
      li.append(syntax);
    }
    if (m.kind === "block") {
      const pre = document.createElement("pre");
      pre.className = "text";
      pre.textContent = m.text;
      li.append(pre);
    } else {
      const span = document.createElement("span");
      span.className = "text";
      span.textContent = m.text;
      li.append(span);
    }
    return li;
  }
})();
