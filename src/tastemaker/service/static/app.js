// The page asks the same API as any client (/v1/...) and draws nothing itself: the plot is SVG
// made by the server.
"use strict";
const $ = (id) => document.getElementById(id);

function cell(row, text, cls) {
  const td = row.insertCell();
  if (cls) { const span = document.createElement("span"); span.className = cls; span.textContent = text; td.appendChild(span); }
  else td.textContent = text;
}

async function problem(response) {
  try { return (await response.json()).detail; } catch (e) { return response.statusText; }
}

async function show(user) {
  $("error").hidden = true;
  const got = await fetch(`/v1/users/${encodeURIComponent(user)}/weekly`);
  if (got.status === 204) { $("week").hidden = true; $("error").textContent = `${user} has no list this week`; $("error").hidden = false; return; }
  if (!got.ok) { $("week").hidden = true; $("error").textContent = await problem(got); $("error").hidden = false; return; }
  const week = (await got.json()).payload;
  $("title").textContent = `${week.week} for ${week.user_id}: ${week.total_count} tracks`;
  $("made").textContent = `written ${week.last_updated || "?"} by models ${Object.entries(week.models || {}).map(([k, v]) => k + " " + v).join(", ")}`;
  const body = $("tracks").tBodies[0];
  body.replaceChildren();
  for (const t of week.tracks) {
    const row = body.insertRow();
    cell(row, t.position); cell(row, t.artist || ""); cell(row, t.title || t.track_id);
    cell(row, t.source, `badge ${t.source}`); cell(row, t.reason);
  }
  const flow = await fetch(`/v1/users/${encodeURIComponent(user)}/weekly/flow.svg?week=${week.week}`);
  $("flow").innerHTML = flow.ok ? await flow.text() : "";
  $("week").hidden = false;
  history.replaceState(null, "", `?user=${encodeURIComponent(user)}`);
}

async function start() {
  const listed = await fetch("/v1/users?count=200");
  if (listed.ok) {
    const users = (await listed.json()).payload.users;
    $("users").replaceChildren(...users.map((u) => { const o = document.createElement("option"); o.value = u; return o; }));
    $("status").textContent = `${users.length} listeners shown; type any id`;
    const asked = new URLSearchParams(location.search).get("user");
    if (asked || users.length) { $("user").value = asked || users[0]; show($("user").value); }
  } else {
    $("status").textContent = await problem(listed);
  }
  $("pick").addEventListener("submit", (e) => { e.preventDefault(); show($("user").value.trim()); });
}
start();
