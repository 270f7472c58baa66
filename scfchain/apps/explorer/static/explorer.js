// Live updates without reloading: polls /api/events?after=N about once a second; new events go into the
// feed table (on the events page) and make the page fetch its live part again (?partial=1) and swap it in,
// so a receivable's tree grows as the chain moves.
(function () {
  "use strict";
  const body = document.body;
  let last = Number(body.dataset.lastSeq || 0);
  const feed = document.getElementById("feed");
  const live = document.getElementById("live");
  const status = document.getElementById("status");
  const rpc = status ? status.getAttribute("title") : "";
  let busy = false;

  function when(ts) {
    return new Date(ts * 1000).toISOString().slice(0, 16).replace("T", " ") + " UTC";
  }

  // The event's description, with each member name it mentions made a link to the member's page.
  function describe(cell, e) {
    const names = Object.entries(e.names || {}).sort((a, b) => b[1].length - a[1].length);
    let parts = [e.text];
    for (const [address, name] of names) {
      const next = [];
      for (const p of parts) {
        if (typeof p !== "string" || !p.includes(name)) { next.push(p); continue; }
        const at = p.indexOf(name);
        const a = document.createElement("a");
        a.className = "who"; a.href = "/members/" + address; a.title = address; a.textContent = name;
        next.push(p.slice(0, at), a, p.slice(at + name.length));
      }
      parts = next;
    }
    for (const p of parts) cell.append(typeof p === "string" ? document.createTextNode(p) : p);
  }

  function addRows(events) {
    const tbody = feed.tBodies[0];
    for (const e of events) {
      const tr = document.createElement("tr");
      tr.dataset.seq = e.seq;
      tr.className = "fresh" + (e.minor ? " minor" : "");
      const cells = [String(e.seq), String(e.block), when(e.time)];
      cells.forEach((text, i) => {
        const td = document.createElement("td");
        td.textContent = text;
        td.className = i < 2 ? "n" : "when";
        tr.append(td);
      });
      const ev = document.createElement("td");
      const span = document.createElement("span");
      span.className = "ev"; span.textContent = e.contract + "." + e.event;
      ev.append(span); tr.append(ev);
      const what = document.createElement("td");
      describe(what, e);
      tr.append(what);
      tbody.insertBefore(tr, tbody.firstChild);
    }
  }

  function setStatus(data) {
    if (!status) return;
    status.classList.toggle("offline", Boolean(data.error));
    status.textContent = data.error
      ? data.error + " · showing block " + data.asOfBlock
      : "following chain " + rpc + " · indexed to block " + data.asOfBlock + " · " + data.total + " events";
  }

  async function refresh() {
    const url = new URL(window.location.href);
    url.searchParams.set("partial", "1");
    const r = await fetch(url, { cache: "no-store" });
    if (r.ok) live.innerHTML = await r.text();
  }

  async function poll() {
    if (busy) return;
    busy = true;
    try {
      const r = await fetch("/api/events?after=" + last, { cache: "no-store" });
      if (!r.ok) return;
      const data = await r.json();
      setStatus(data);
      if (data.total < last) last = data.total;  // the index was rebuilt shorter (a reorganisation)
      if (data.events.length) {
        last = data.last;
        if (feed) addRows(data.events);
        if (live && live.hasAttribute("data-refresh")) await refresh();
      }
    } catch (err) {
      if (status) { status.classList.add("offline"); status.textContent = "explorer not answering"; }
    } finally {
      busy = false;
    }
  }

  const toggle = document.getElementById("show-minor");
  if (toggle && feed) toggle.addEventListener("change", () => feed.classList.toggle("hide-minor", !toggle.checked));
  window.setInterval(poll, 1000);
})();
