// The page asks the same API as any client (/v1/...) and draws nothing itself: the plots are SVG
// made by the server. Views by the address's fragment: #user=ID, #track=ID, #artist=ID, #status.
"use strict";
const $ = (id) => document.getElementById(id);
const q = encodeURIComponent;

function cell(row, content, cls) {
  const td = row.insertCell();
  if (content instanceof Node) td.appendChild(content);
  else if (cls) { const span = document.createElement("span"); span.className = cls; span.textContent = content; td.appendChild(span); }
  else td.textContent = content ?? "";
  return td;
}

function link(text, hash) {
  const a = document.createElement("a");
  a.textContent = text; a.href = hash;
  return a;
}

async function problem(response) {
  try { return (await response.json()).detail; } catch (e) { return response.statusText; }
}

async function api(path) {
  const got = await fetch(path);
  if (got.status === 204) return null;
  if (!got.ok) throw new Error(await problem(got));
  return (await got.json()).payload;
}

async function svg(path, into, fallback) {
  const got = await fetch(path);
  $(into).innerHTML = got.ok ? await got.text() : "";
  if (!got.ok && fallback) { const p = document.createElement("p"); p.className = "muted"; p.textContent = fallback + ": " + await problem(got); $(into).appendChild(p); }
}

function fail(message) { $("error").textContent = message; $("error").hidden = false; }

function open(view) {
  for (const v of document.querySelectorAll(".view")) v.hidden = v.id !== view;
  $("error").hidden = true;
}

function neighbours(list, into, kind, empty) {
  $(into).replaceChildren();
  for (const n of list) {
    const li = document.createElement("li");
    li.appendChild(link(n.name, `#${kind}=${q(n.id)}`));
    li.append(` ${n.score.toFixed(2)}`);
    $(into).appendChild(li);
  }
  if (!list.length) { const li = document.createElement("li"); li.className = "muted"; li.textContent = empty; $(into).appendChild(li); }
}

async function similar(path, into, kind, empty) {
  try { neighbours((await api(path)).neighbours, into, kind, empty); }
  catch (e) { neighbours([], into, kind, e.message); }
}

async function showUser(user) {
  open("week");
  $("user").value = user;
  let week;
  try { week = await api(`v1/users/${q(user)}/weekly`); }
  catch (e) { open(null); fail(e.message); return; }
  if (week === null) { open(null); fail(`${user} has no list this week`); return; }
  $("title").textContent = `${week.week} for ${week.user_id}: ${week.total_count} tracks`;
  $("made").textContent = `written ${week.last_updated || "?"} by models ${Object.entries(week.models || {}).map(([k, v]) => k + " " + v).join(", ")}`;
  const body = $("tracks").tBodies[0];
  body.replaceChildren();
  for (const t of week.tracks) {
    const row = body.insertRow();
    cell(row, t.position);
    cell(row, t.artist ? link(t.artist, `#artist=${q(t.artist)}`) : "");
    cell(row, link(t.title || t.track_id, `#track=${q(t.track_id)}`));
    cell(row, t.source, `badge ${t.source}`); cell(row, t.reason);
  }
  await svg(`v1/users/${q(user)}/weekly/flow.svg?week=${week.week}`, "flow");
  const last = $("last").tBodies[0];
  last.replaceChildren();
  try {
    const fb = await api(`v1/users/${q(user)}/feedback`);
    $("last-title").textContent = `What they did with the list of ${fb.week}`;
    $("last-summary").textContent = `${fb.played} played, ${fb.saved} saved, ${fb.skipped} skipped, ${fb.disliked} disliked of ${fb.tracks.length}`;
    for (const t of fb.tracks) {
      const row = last.insertRow();
      cell(row, t.position); cell(row, t.artist || ""); cell(row, link(t.title || t.track_id, `#track=${q(t.track_id)}`));
      cell(row, t.source, `badge ${t.source}`); cell(row, t.plays);
      cell(row, [t.saved && "saved", t.skipped && "skipped", t.disliked && "disliked"].filter(Boolean).join(", "));
    }
  } catch (e) { $("last-summary").textContent = e.message; }
}

async function showTrack(id) {
  open("track");
  let t;
  try { t = await api(`v1/tracks/${q(id)}`); } catch (e) { open(null); fail(e.message); return; }
  $("track-title").replaceChildren(t.title || t.track_id, " by ", t.artist ? link(t.artist, `#artist=${q(t.artist_id || t.artist)}`) : "?");
  const secs = t.duration_ms ? Math.round(t.duration_ms / 1000) : null;
  $("track-facts").textContent = [t.album, secs && `${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, "0")}`, t.released, t.style].filter(Boolean).join(" · ");
  await svg(`v1/tracks/${q(id)}/analysis.svg`, "analysis", "No analysis");
  const features = $("features").tBodies[0];
  features.replaceChildren();
  try {
    const f = await api(`v1/tracks/${q(id)}/features`);
    for (const [k, v] of Object.entries(f)) { if (typeof v === "object") continue; const row = features.insertRow(); cell(row, k); cell(row, typeof v === "number" ? +v.toFixed(3) : v); }
  } catch (e) { /* the analysis figure already says why */ }
  await similar(`v1/tracks/${q(id)}/similar?model=collaborative`, "track-collaborative", "track", "none");
  await similar(`v1/tracks/${q(id)}/similar?model=audio`, "track-audio", "track", "none");
}

async function showArtist(key) {
  open("artist");
  $("terms").replaceChildren();
  let terms;
  try { terms = await api(`v1/artists/${q(key)}/terms?kind=n2&kind=np&kind=adj&kind=tag`); }
  catch (e) { open(null); fail(e.message); return; }
  $("artist-title").textContent = terms.name;
  for (const [kind, list] of Object.entries(terms.terms)) {
    const box = document.createElement("div");
    const h = document.createElement("h3"); h.textContent = { n2: "phrases", np: "noun phrases", adj: "adjectives", tag: "tags", unigram: "words" }[kind] || kind;
    box.appendChild(h);
    const top = Math.max(...list.map((t) => t.weight), 1e-9);
    for (const t of list) {
      const row = document.createElement("div"); row.className = "term";
      const bar = document.createElement("span"); bar.className = "bar"; bar.style.width = `${Math.round(100 * t.weight / top)}%`;
      row.append(bar, ` ${t.term}`); box.appendChild(row);
    }
    if (!list.length) { const p = document.createElement("p"); p.className = "muted"; p.textContent = "none yet"; box.appendChild(p); }
    $("terms").appendChild(box);
  }
  try {
    const co = await api(`v1/artists/${q(key)}/comentioned`);
    neighbours(co.artists.map((a) => ({ id: a.artist_id, name: a.name, score: a.weight })), "artist-comentioned", "artist", "no other artist named in the same documents");
  } catch (e) { neighbours([], "artist-comentioned", "artist", e.message); }
  await similar(`v1/artists/${q(key)}/similar?model=collaborative`, "artist-collaborative", "artist", "none");
  await similar(`v1/artists/${q(key)}/similar?model=text`, "artist-text", "artist", "none");
}

async function showStatus() {
  open("status");
  let s;
  try { s = await api("v1/status"); } catch (e) { open(null); fail(e.message); return; }
  const body = $("models").tBodies[0];
  body.replaceChildren();
  for (const m of s.models) { const row = body.insertRow(); cell(row, m.kind); cell(row, m.latest); cell(row, m.versions); cell(row, m.created_at || ""); }
  $("counts").textContent = `${Object.entries(s.counts).map(([k, v]) => `${v.toLocaleString()} ${k}`).join(", ")}; weeks ${s.weeks.join(", ") || "none"}`;
  await svg("v1/feedback.svg", "feedback-chart", "No report");
  const fb = $("feedback").tBodies[0];
  fb.replaceChildren();
  try {
    for (const w of (await api("v1/feedback")).weeks) {
      const row = fb.insertRow(); const pc = (x) => `${(100 * x).toFixed(1)} %`;
      cell(row, w.week); cell(row, w.listeners); cell(row, w.tracks); cell(row, pc(w.play_rate)); cell(row, pc(w.save_rate)); cell(row, pc(w.skip_rate));
    }
  } catch (e) { /* the chart says why */ }
}

function route() {
  const [kind, value] = location.hash.slice(1).split("=");
  const id = value && decodeURIComponent(value);
  if (kind === "track" && id) return showTrack(id);
  if (kind === "artist" && id) return showArtist(id);
  if (kind === "status") return showStatus();
  if (kind === "user" && id) return showUser(id);
  if ($("user").value) return showUser($("user").value);
}

async function start() {
  $("pick").addEventListener("submit", (e) => { e.preventDefault(); location.hash = `user=${q($("user").value.trim())}`; });
  window.addEventListener("hashchange", route);
  try {
    const users = (await api("v1/users?count=200")).users;
    $("users").replaceChildren(...users.map((u) => { const o = document.createElement("option"); o.value = u; return o; }));
    $("status-line").textContent = `${users.length} listeners shown; type any id`;
    if (!location.hash && users.length) $("user").value = users[0];
  } catch (e) { $("status-line").textContent = e.message; }
  await route();
  document.body.dataset.ready = "true";       // for tests: the first view is drawn
}
start();
