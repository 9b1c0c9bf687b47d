/* Web wall, door and window screens (docs/screens.md). Plain ES2017 for Chromium 80 and the Chromium-based
   browsers of TVs and signage boxes: no modules, no optional chaining, no build step.

   The service does the folding (display/board.py) and the layout rules (display/boardview.py); this page draws the
   view it is sent, shows calls one by one (none dropped), plays the call clips in order once sound is allowed (one
   tap), plays the playlist from its own cache (IndexedDB) and keeps going while the service is away. */
(function () {
  "use strict";

  var $ = function (id) { return document.getElementById(id); };
  var stage = $("stage");
  var LOST_ZH = "对不起，网络连接中断，正在重新连接，请稍候…… 叫号请以护士通知为准";
  var SILENCE_S = 6;           // no message this long: the link is lost
  var state = {
    layout: null, view: null, kind: "wall", speak: false, media: "none", device: "",
    lastCall: Number(localStorage.getItem("screen.lastCall") || 0),
    offsetMs: 0, zoneOffsetMin: null, online: false, sound: false, ws: null, lastMessage: 0,
    page: 0, calls: [], current: null, clips: {}, holdUntil: 0, overrides: [], playlist: null,
    failed: [], playing: "", cache: { items: 0, cached: 0, bytes: 0 }
  };
  var probe = window.__screen = { painted: [], overrides: [], played: [], ended: [], clips: [], calls: [],
    state: state };

  function now() { return performance.timeOrigin + performance.now(); }
  // fn(time) right after the next frame is painted: the frame's animation callback, then a message task (runs as
  // soon as that frame is drawn, not a whole frame later as a second animation callback would)
  function afterPaint(fn) {
    requestAnimationFrame(function () {
      var channel = new MessageChannel();
      channel.port1.onmessage = function () { fn(now()); };
      channel.port2.postMessage(0);
    });
  }

  // ------------------------------------------------------------------------------------------------ sizing
  function scaleStage() {
    var lay = state.layout || { width: 1920, height: 1080 };
    stage.style.width = lay.width + "px";
    stage.style.height = lay.height + "px";
    var s = Math.min(window.innerWidth / lay.width, window.innerHeight / lay.height);
    stage.style.transform = "scale(" + s + ")";
    stage.style.left = Math.max(0, (window.innerWidth - lay.width * s) / 2) + "px";
    stage.style.top = Math.max(0, (window.innerHeight - lay.height * s) / 2) + "px";
    stage.classList.toggle("portrait", lay.height > lay.width);
  }
  window.addEventListener("resize", function () { scaleStage(); redraw(); });

  // the first choice that fits (choices come longest first, from display/legible.py)
  function fitChoices(el, choices) {
    choices = (choices || []).filter(function (c) { return c !== undefined && c !== null; });
    if (!choices.length) { el.textContent = ""; return ""; }
    for (var i = 0; i < choices.length; i++) {
      el.textContent = choices[i];
      if (el.scrollWidth <= el.clientWidth + 1) return choices[i];
    }
    return choices[choices.length - 1];
  }
  // shrink (never grow past max) until the whole text fits: names and rooms are never cut
  function fitSize(el, text, maxPx, minPx) {
    el.textContent = text || "";
    var px = maxPx;
    el.style.fontSize = px + "px";
    var box = el.clientHeight;
    while (px > (minPx || 10) && (el.scrollWidth > el.clientWidth + 1 || (box && px * 1.2 > box * 1.05))) {
      px = Math.max(minPx || 10, Math.floor(px * 0.92));
      el.style.fontSize = px + "px";
    }
  }

  // ------------------------------------------------------------------------------------------------ drawing
  function applyLayout() {
    var lay = state.layout, f = lay.fonts;
    scaleStage();
    $("header").style.height = lay.header + "px";
    $("title").style.fontSize = f.title + "px";
    $("clock").style.fontSize = Math.round(f.title * 0.8) + "px";
    ["lost", "bcast"].forEach(function (id) { $(id).style.fontSize = f.next + "px"; });
    $("ticker").style.fontSize = Math.round(f.next * 0.9) + "px";
    $("ticker").style.height = Math.round(f.next * 0.9 * 1.6) + "px";
    $("ticker").style.lineHeight = Math.round(f.next * 0.9 * 1.6) + "px";
    $("recent-title").style.fontSize = f.small + "px";
    $("room-page").style.fontSize = f.small + "px";
    $("wall").hidden = state.kind !== "wall" && state.kind !== "window";
    $("ready").hidden = state.kind !== "window";
    stage.classList.toggle("window", state.kind === "window");
    $("ready-caption").style.fontSize = f.row + "px";
    $("ready-more").style.fontSize = f.small + "px";
    $("door").hidden = state.kind !== "door";
    var zone = state.kind !== "door" && state.media === "zone";
    $("zone").hidden = !zone;
    $("recent").hidden = zone;
    $("full").hidden = !(state.media === "full");
    if (zone) {
      var w = $("left").clientWidth || lay.width * 0.33;
      $("zone").style.height = Math.round(w * 9 / 16) + "px";
    }
    document.querySelectorAll(".slide-host").forEach(function (el) { el.style.fontSize = f.row + "px"; });
    $("zone").style.fontSize = Math.round(f.next * 0.8) + "px";
    $("full").style.fontSize = f.row + "px";
    if (state.kind === "door") {
      var row = f.row;
      $("photo").style.width = Math.round(row * 4.2) + "px";
      $("photo").style.height = Math.round(row * 5.4) + "px";
      $("photo").style.fontSize = Math.round(row * 5.4 * 0.4) + "px";
    }
  }

  function redraw() {
    if (!state.view || !state.layout) return;
    if (state.view.kind === "door") drawDoor(state.view); else drawWall(state.view);
    $("bcast").hidden = !state.view.banner;
    $("bcast").textContent = state.view.banner || "";
  }

  function drawWall(v) {
    var lay = state.layout, f = lay.fonts;
    fitSize($("title"), v.title, f.title);
    if (!state.current) showCallPanel(v.newest, false);
    // recent calls: as many as fit under the panel (the Qt wall's rule)
    var lines = $("recent-lines");
    $("recent-title").textContent = v.recent_title;
    lines.innerHTML = "";
    v.recent.forEach(function (c) {
      var d = document.createElement("div");
      d.style.fontSize = f.doctor + "px";
      d.style.lineHeight = "1.2";
      lines.appendChild(d);
      fitChoices(d, c.line);
    });
    if (v.kind === "window") drawWindows(v); else drawRooms(v);
    setTicker(v.notices || []);
  }

  // a pharmacy's or lab's windows: each window's current call, then the ready list (as many as fit)
  function drawWindows(v) {
    var lay = state.layout, f = lay.fonts, host = $("room-rows");
    host.innerHTML = "";
    v.windows.forEach(function (w) {
      var row = document.createElement("div");
      row.className = "window-row";
      row.dataset.room = w.id;
      row.style.height = Math.round(f.row * 1.6) + "px";
      var name = cell(row, "name", f.row);
      var current = cell(row, "current" + (w.paused ? " paused" : (w.busy ? "" : " idle")), f.row);
      host.appendChild(row);
      fitChoices(name, [w.name]);
      fitChoices(current, w.current);
    });
    $("room-page").textContent = "";
    fitSize($("ready-caption"), v.ready_caption + (v.ready_total ? "（" + v.ready_total + " 人）" : ""), f.row);
    var grid = $("ready-grid"), px = f.next;
    grid.innerHTML = "";
    var colWidth = Math.round(px * 7.5), cols = Math.max(1, Math.floor((grid.clientWidth + 24) / (colWidth + 24)));
    grid.style.gridTemplateColumns = "repeat(" + cols + ", 1fr)";
    var rowH = Math.round(px * 1.45) + 4;
    var fit = cols * Math.max(1, Math.floor((grid.clientHeight + 4) / rowH));
    var shown = v.ready.slice(0, fit);
    if (!shown.length) {
      var none = document.createElement("div");
      none.className = "muted";
      none.style.fontSize = px + "px";
      none.style.background = "none";
      none.textContent = "—";
      grid.appendChild(none);
    }
    shown.forEach(function (r) {
      var d = document.createElement("div");
      d.style.fontSize = px + "px";
      d.style.lineHeight = "1.45";
      d.dataset.visit = r.visit_id;
      var t = document.createElement("span");
      t.className = "t";
      t.textContent = r.ticket;
      d.appendChild(t);
      d.appendChild(document.createTextNode(r.name));
      grid.appendChild(d);
    });
    var more = v.ready_total - shown.length;
    $("ready-more").textContent = more > 0 ? "另有 " + more + " 位，请留意叫号" : "";
  }

  function rowsPerPage() {
    var lay = state.layout;
    var h = $("room-rows").clientHeight || (lay.height * 0.7);
    return Math.max(1, Math.min(lay.rows, Math.floor(h / lay.row_block)));
  }

  function drawRooms(v) {
    var lay = state.layout, f = lay.fonts, host = $("room-rows");
    var per = rowsPerPage(), pages = Math.max(1, Math.ceil(v.rooms.length / per));
    state.page = state.page % pages;
    var shown = v.rooms.slice(state.page * per, (state.page + 1) * per);
    host.innerHTML = "";
    shown.forEach(function (r) {
      var row = document.createElement("div");
      row.className = "room";
      row.style.height = lay.row_block + "px";
      row.dataset.room = r.id;
      var name = cell(row, "name", f.row), current = cell(row, "current" + (r.paused ? " paused" : ""), f.row);
      var doctor = cell(row, "doctor", f.doctor), next = cell(row, "next", f.next);
      host.appendChild(row);
      fitChoices(name, [r.name]);
      fitChoices(current, r.current);
      fitChoices(doctor, r.doctor);
      fitChoices(next, r.next.map(function (c) { return r.next_prefix + c; }));
    });
    $("room-page").textContent = pages > 1 ? "第 " + (state.page + 1) + "/" + pages + " 页" : "";
  }

  function cell(row, cls, px) {
    var d = document.createElement("div");
    d.className = cls;
    d.style.fontSize = px + "px";
    d.style.lineHeight = "1.25";
    row.appendChild(d);
    return d;
  }

  var tickerText = null;
  function setTicker(items) {
    var text = items.join("　　◆　　");
    if (text === tickerText) return;
    tickerText = text;
    var el = $("ticker-text");
    el.textContent = text;
    el.style.animation = "none";
    if (!text) return;
    var speed = (state.layout && state.layout.ticker_speed) || 120;
    var seconds = Math.max(5, (el.scrollWidth + $("ticker").clientWidth) / speed);
    void el.offsetWidth;
    var lead = $("ticker").clientWidth / speed;  // start with the text already in view, not an empty band
    el.style.animation = "ticker " + seconds + "s linear -" + lead.toFixed(2) + "s infinite";
  }

  function drawDoor(v) {
    var f = state.layout.fonts, row = f.row;
    fitSize($("title"), v.title, f.title);
    fitSize($("doctor-name"), v.doctor.name, Math.round(row * 1.5));
    fitSize($("doctor-title"), v.doctor.title, row);
    fitSize($("doctor-specialty"), v.doctor.specialty, Math.round(row * 0.75));
    fitSize($("door-subtitle"), v.subtitle, Math.round(row * 0.8));
    var photo = $("photo");
    photo.hidden = !v.doctor.name;
    if (v.doctor.photo) {
      if (!photo.querySelector("img") || photo.dataset.src !== v.doctor.photo) {
        photo.innerHTML = "";
        var img = document.createElement("img");
        img.src = v.doctor.photo;
        img.onerror = function () { photo.textContent = v.doctor.initial; };
        photo.appendChild(img);
        photo.dataset.src = v.doctor.photo;
      }
    } else { photo.textContent = v.doctor.initial; photo.dataset.src = ""; }
    fitSize($("door-current-caption"), v.current_caption, row);
    var cur = $("door-current");
    cur.style.color = v.paused ? "#ff9f9f" : (v.busy ? "#ffd166" : "#fff");
    fitSize(cur, v.current, f.call);
    fitSize($("door-next-caption"), v.next_caption, Math.round(row * 0.9));
    var host = $("door-next");
    host.innerHTML = "";
    v.next.forEach(function (t) {
      var d = document.createElement("div");
      d.style.fontSize = row + "px";
      d.style.lineHeight = "1.4";
      host.appendChild(d);
      fitSize(d, t, row);
    });
  }

  // ------------------------------------------------------------------------------------------------ calls first
  function showCallPanel(call, flash) {
    var f = state.layout.fonts, big = f.call, v = state.view || {};
    fitSize($("call-caption"), v.caption || "请以下患者就诊", Math.round(f.row * 0.9));
    if (!call) {
      fitSize($("call-ticket"), "", big);
      fitSize($("call-name"), v.idle || "请留意叫号", Math.round(big * 0.7));
      fitSize($("call-room"), "", Math.round(big * 0.7));
      return;
    }
    fitSize($("call-ticket"), call.ticket, big);
    fitSize($("call-name"), call.name, Math.round(big * 0.7));
    fitSize($("call-room"), call.room_text, Math.round(big * 0.7));
    if (flash) flashIt($("callpanel"));
  }

  function showOverlay(call) {
    var f = state.layout.fonts, big = Math.round(f.call * 1.6);
    var o = $("overlay");
    o.hidden = false;
    fitSize($("overlay-caption"), (state.view && state.view.caption) || "请以下患者就诊", f.row);
    fitSize($("overlay-ticket"), call.ticket, big);
    fitSize($("overlay-name"), call.name, Math.round(big * 0.6));
    fitSize($("overlay-room"), call.room_text, Math.round(big * 0.6));
    var recent = ((state.view && state.view.recent) || []).slice(0, 3).map(function (c) { return c.line[1]; });
    fitSize($("overlay-recent"), recent.join("　　"), f.doctor);
    flashIt(o);
  }

  var flashTimer = null;
  function flashIt(el) {
    var ticks = Math.max(0, Math.floor((state.layout.flash_seconds || 0) * 1000 / 400));
    clearInterval(flashTimer);
    document.querySelectorAll(".flash").forEach(function (x) { x.classList.remove("flash"); });
    if (!ticks) return;
    var on = true;
    el.classList.add("flash");
    flashTimer = setInterval(function () {
      ticks -= 1; on = !on;
      el.classList.toggle("flash", on && ticks > 0);
      if (ticks <= 0) { clearInterval(flashTimer); el.classList.remove("flash"); }
    }, 400);
  }

  var painting = false, viewWaiting = false;
  // what the page shows, kept for a reload without the service: written a moment later, off the call's frame
  var keeping = {}, keepTimer = null;
  function keepSoon(key, value) {
    keeping[key] = value;
    if (keepTimer) return;
    keepTimer = setTimeout(function () {
      keepTimer = null;
      Object.keys(keeping).forEach(function (k) { localStorage.setItem(k, JSON.stringify(keeping[k])); });
      keeping = {};
    }, 500);
  }
  function takeCall(msg) {
    if (msg.seq && msg.seq <= state.lastCall) return;  // shown before (a reconnect replays nothing twice)
    if (msg.seq) {
      state.lastCall = msg.seq;
      localStorage.setItem("screen.lastCall", String(msg.seq));
    }
    msg.at = now();
    probe.calls.push({ seq: msg.seq, ticket: msg.ticket, at: msg.at, server_ms: msg.server_ms,
      queued: !!state.current });
    state.calls.push(msg);
    if (!state.current) nextCall();
  }

  function takeBroadcastSound(msg) {
    if (state.speak && msg.clip) state.calls.push({ sound_only: true, clip: msg.clip, seq: 0 });
    if (!state.current) nextCall();
  }

  function nextCall() {
    var call = state.calls.shift();
    state.current = call || null;
    if (!call) { endCalls(); return; }
    duck(true);
    if (!call.sound_only) {
      if (state.media === "full") showOverlay(call); else showCallPanel(call, true);
      painting = true;  // the call's frame first: a view arriving meanwhile is drawn after it
      afterPaint(function (t) {
        probe.painted.push({ seq: call.seq, ticket: call.ticket, t: t, server_ms: call.server_ms, at: call.at });
        painting = false;
        if (viewWaiting) { viewWaiting = false; redraw(); }
      });
    }
    var minShow = call.sound_only ? 0 : (state.calls.length ? Math.min(3, state.layout.flash_seconds || 3) :
      Math.max(1, state.layout.flash_seconds || 3));
    var started = Date.now();
    // a screen that may not play sound (nobody tapped it yet) does not hold the calls for their clips
    var sound = state.speak && state.sound && call.clip ? playClip(call.clip) : Promise.resolve();
    sound.then(function () {
      var left = minShow * 1000 - (Date.now() - started);
      setTimeout(nextCall, Math.max(0, left));
    });
  }

  function endCalls() {
    duck(false);
    if (state.media === "full") {
      setTimeout(function () { if (!state.current) $("overlay").hidden = true; }, 200);
    }
    if (state.view && state.view.kind !== "door") showCallPanel(state.view.newest, false);
  }

  // ------------------------------------------------------------------------------------------------ sound
  var player = new Audio();
  function waitClip(id, ms) {
    return new Promise(function (resolve) {
      var until = Date.now() + ms;
      (function poll() {
        if (state.clips[id]) return resolve(state.clips[id]);
        if (Date.now() > until) return resolve(null);
        setTimeout(poll, 50);
      })();
    });
  }
  function playClip(id) {
    return waitClip(id, 8000).then(function (url) {
      if (!url) return null;
      probe.clips.push({ id: id, ready: now(), playing: state.sound });
      if (!state.sound) return null;
      return new Promise(function (resolve) {
        var guard = setTimeout(function () { done("guard"); }, 30000), over = false;
        var done = function (how) {
          clearTimeout(guard);
          if (over) return;
          over = true;
          player.onended = player.onerror = player.onloadedmetadata = null;
          probe.ended.push({ id: id, t: now(), how: how, duration: player.duration });
          resolve();
        };
        player.onended = function () { done("ended"); };
        player.onerror = function () { done("error"); };
        player.onloadedmetadata = function () {  // a sink that never ends the clip must not stop the calls
          clearTimeout(guard);
          guard = setTimeout(function () { done("guard"); }, ((isFinite(player.duration) ? player.duration : 20) + 1.5) * 1000);
        };
        player.src = url;
        var p = player.play();
        if (p && p.catch) p.catch(function () { state.sound = false; showTapHint(); done("refused"); });
        probe.played.push({ id: id, t: now() });
      });
    });
  }
  function showTapHint() { $("tap").hidden = !(state.speak && !state.sound); }
  function unlockSound() {
    if (state.sound) return;
    // a short silent WAV: playing it inside the tap is what allows sound afterwards
    player.src = "data:audio/wav;base64,UklGRiQAAABXQVZFZm10IBAAAAABAAEAIlYAAESsAAACABAAZGF0YQAAAAA=";
    var p = player.play();
    var ok = function () { state.sound = true; showTapHint(); };
    if (p && p.then) p.then(ok, function () { showTapHint(); }); else ok();
  }
  document.addEventListener("pointerdown", unlockSound);
  document.addEventListener("keydown", unlockSound);

  function duck(on) {
    document.querySelectorAll(".media video").forEach(function (v) { v.volume = on ? 0.15 : 1.0; });
    state.ducked = on;
  }

  // ------------------------------------------------------------------------------------------------ overrides
  function showOverride() {
    var o = state.overrides[state.overrides.length - 1];
    $("override").hidden = !o;
    if (!o) return;
    $("override-title").textContent = o.title;
    $("override-text").textContent = o.text;
    $("override-en").textContent = o.text_en || "";
    afterPaint(function (t) { probe.overrides.push({ id: o.id, t: t, server_ms: o.server_ms }); });
  }

  // ------------------------------------------------------------------------------------------------ media
  var DB = null;
  function openDb() {
    if (DB) return DB;
    DB = new Promise(function (resolve) {
      if (!window.indexedDB) return resolve(null);
      var req = indexedDB.open("screen-media", 1);
      req.onupgradeneeded = function () { req.result.createObjectStore("files"); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { resolve(null); };
    });
    return DB;
  }
  function dbGet(key) {
    return openDb().then(function (db) {
      if (!db) return null;
      return new Promise(function (resolve) {
        var r = db.transaction("files").objectStore("files").get(key);
        r.onsuccess = function () { resolve(r.result || null); };
        r.onerror = function () { resolve(null); };
      });
    });
  }
  function dbPut(key, blob) {
    return openDb().then(function (db) {
      if (!db) return;
      return new Promise(function (resolve) {
        var tx = db.transaction("files", "readwrite");
        tx.objectStore("files").put(blob, key);
        tx.oncomplete = tx.onerror = function () { resolve(); };
      });
    });
  }
  function dbKeys() {
    return openDb().then(function (db) {
      if (!db) return [];
      return new Promise(function (resolve) {
        var r = db.transaction("files").objectStore("files").getAllKeys();
        r.onsuccess = function () { resolve(r.result || []); };
        r.onerror = function () { resolve([]); };
      });
    });
  }
  function dbDelete(key) {
    return openDb().then(function (db) {
      if (db) db.transaction("files", "readwrite").objectStore("files").delete(key);
    });
  }

  var fetching = {};
  function mediaBlob(src) {
    return dbGet(src).then(function (blob) {
      if (blob) return blob;
      if (!fetching[src]) {
        fetching[src] = fetch(src, { credentials: "same-origin" }).then(function (r) {
          if (!r.ok) throw new Error("HTTP " + r.status);
          return r.blob();
        }).then(function (b) { return dbPut(src, b).then(function () { return b; }); })
          .finally(function () { delete fetching[src]; });
      }
      return fetching[src];
    });
  }

  function allSlides(pl) {
    var out = [];
    (pl ? pl.windows : []).forEach(function (w) { w.slides.forEach(function (s) { out.push(s); }); });
    return out;
  }

  function cachePlaylist(pl) {
    var srcs = {};
    allSlides(pl).forEach(function (s) { if (s.src) srcs[s.src] = true; });
    var list = Object.keys(srcs);
    return dbKeys().then(function (keys) {
      keys.forEach(function (k) { if (!srcs[k]) dbDelete(k); });  // files no longer in any window
      return Promise.all(list.map(function (src) {
        return mediaBlob(src).then(function (b) { return b.size; }, function () { return -1; });
      }));
    }).then(function (sizes) {
      state.cache = { items: list.length, cached: sizes.filter(function (s) { return s >= 0; }).length,
        bytes: sizes.reduce(function (a, s) { return a + Math.max(0, s); }, 0) };
    });
  }

  function hospitalMinutes() {
    var t = new Date(Date.now() + state.offsetMs);
    var offset = state.zoneOffsetMin === null ? -t.getTimezoneOffset() : state.zoneOffsetMin;
    var m = (t.getUTCHours() * 60 + t.getUTCMinutes() + offset) % 1440;
    return (m + 1440) % 1440;
  }

  var mediaIndex = -1, mediaTimer = null, mediaHost = null, mediaBusy = false, mediaUrls = [];
  function currentCycle() {
    var pl = state.playlist;
    if (!pl) return [];
    var m = hospitalMinutes();
    for (var i = 0; i < pl.windows.length; i++) {
      if (pl.windows[i].from <= m && m < pl.windows[i].to) return pl.windows[i].slides;
    }
    return [];
  }

  function startMedia() {
    mediaHost = state.media === "zone" ? $("zone") : (state.media === "full" ? $("full") : null);
    if (!mediaHost || mediaBusy) return;
    mediaBusy = true;
    nextSlide(0);
  }

  function nextSlide(tries) {
    clearTimeout(mediaTimer);
    var cycle = currentCycle();
    if (!cycle.length) { mediaBusy = false; mediaTimer = setTimeout(startMedia, 5000); return; }
    if (tries > cycle.length) {  // nothing playable now: keep what is shown, try again shortly
      mediaTimer = setTimeout(function () { nextSlide(0); }, 5000);
      return;
    }
    mediaIndex = (mediaIndex + 1) % cycle.length;
    var slide = cycle[mediaIndex];
    buildSlide(slide).then(function (layer) {
      showLayer(layer, slide);
    }, function (err) {
      if (slide.src && state.failed.indexOf(slide.src.split("?")[0].split("/").pop()) < 0) {
        state.failed.push(slide.src.split("?")[0].split("/").pop());
      }
      nextSlide(tries + 1);  // skipped, never a black screen: the last picture stays meanwhile
    });
  }

  function buildSlide(slide) {
    var layer = document.createElement("div");
    layer.className = "layer";
    if (slide.type === "image" || slide.type === "video") {
      return mediaBlob(slide.src).then(function (blob) {
        var url = URL.createObjectURL(blob);
        mediaUrls.push(url);
        return new Promise(function (resolve, reject) {
          var el;
          if (slide.type === "image") {
            el = document.createElement("img");
            el.onload = function () { resolve(layer); };
          } else {
            el = document.createElement("video");
            el.muted = !state.sound;
            el.playsInline = true;
            el.preload = "auto";
            el.volume = state.ducked ? 0.15 : 1.0;
            el.oncanplay = function () { el.oncanplay = null; resolve(layer); };
          }
          el.onerror = function () { reject(new Error("cannot play")); };
          el.src = url;
          layer.appendChild(el);
          setTimeout(function () { reject(new Error("too slow")); }, 15000);
        });
      });
    }
    layer.appendChild(slideElement(slide));
    return Promise.resolve(layer);
  }

  function slideElement(s) {
    var d = document.createElement("div");
    d.className = "slide slide-host";
    var add = function (tag, text, cls) {
      if (!text) return null;
      var e = document.createElement(tag);
      e.textContent = text;
      if (cls) e.className = cls;
      d.appendChild(e);
      return e;
    };
    if (s.type === "doctor") {
      add("h2", s.title);
      add("p", s.name + (s.doctor_title ? "　" + s.doctor_title : ""), "bold");
      add("p", s.dept + (s.expert ? "　专家" : ""), "badge");
      add("p", s.specialty ? "擅长：" + s.specialty : "");
      add("p", s.room ? "就诊地点：" + s.room : "", "muted");
    } else if (s.type === "prices") {
      add("h2", s.title);
      var t = document.createElement("table");
      s.rows.forEach(function (r) {
        var tr = document.createElement("tr");
        r.forEach(function (c) { var td = document.createElement("td"); td.textContent = c; tr.appendChild(td); });
        t.appendChild(tr);
      });
      d.appendChild(t);
      add("p", s.note, "muted");
    } else {
      add("h2", s.title);
      add("p", s.text);
    }
    return d;
  }

  function showLayer(layer, slide) {
    var old = Array.prototype.slice.call(mediaHost.querySelectorAll(".layer"));
    mediaHost.appendChild(layer);
    var video = layer.querySelector("video");
    if (video) {
      video.muted = !state.sound;
      var p = video.play();
      if (p && p.catch) p.catch(function () { video.muted = true; video.play().catch(function () {}); });
      video.onended = function () { nextSlide(0); };
      video.onerror = function () { nextSlide(1); };
    }
    requestAnimationFrame(function () { layer.classList.add("on"); });
    setTimeout(function () {
      old.forEach(function (o) {
        var v = o.querySelector("video");
        if (v) { v.pause(); v.removeAttribute("src"); v.load(); }
        o.remove();
      });
      while (mediaUrls.length > 4) URL.revokeObjectURL(mediaUrls.shift());
    }, 600);
    state.playing = slide.title || (slide.src ? slide.src.split("?")[0].split("/").pop() : slide.type);
    probe.playing = { id: slide.id, type: slide.type, title: state.playing, at: now() };
    if (!video) mediaTimer = setTimeout(function () { nextSlide(0); }, (slide.seconds || 10) * 1000);
    else mediaTimer = setTimeout(function () { nextSlide(0); }, ((slide.seconds || 60) + 10) * 1000);  // a stuck video
  }

  // ------------------------------------------------------------------------------------------------ the link
  function setOnline(on, message) {
    state.online = on;
    $("lost").hidden = on;
    $("lost").textContent = on ? "" : (message || LOST_ZH);
  }

  function clockText() {
    if (state.zoneOffsetMin === null) return "";
    var t = new Date(Date.now() + state.offsetMs + state.zoneOffsetMin * 60000);
    var p = function (n) { return (n < 10 ? "0" : "") + n; };
    var wd = "日一二三四五六".charAt(t.getUTCDay());
    return t.getUTCFullYear() + "年" + p(t.getUTCMonth() + 1) + "月" + p(t.getUTCDate()) + "日 星期" + wd + "  " +
      p(t.getUTCHours()) + ":" + p(t.getUTCMinutes()) + ":" + p(t.getUTCSeconds());
  }
  function setClock(msg) {
    if (!msg.time) return;
    var m = /([+-])(\d\d):(\d\d)$/.exec(msg.time);
    state.zoneOffsetMin = m ? (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
    state.offsetMs = msg.server_ms - Date.now();
  }
  setInterval(function () {
    if (state.layout) fitSize($("clock"), clockText(), Math.round(state.layout.fonts.title * 0.8));
    if (state.ws && state.lastMessage && Date.now() - state.lastMessage > SILENCE_S * 1000) {
      setOnline(false);
      try { state.ws.close(); } catch (e) { /* gone */ }
    }
  }, 1000);

  var retry = 1000;
  function connect() {
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/screen/api/live");
    state.ws = ws;
    ws.onopen = function () {
      retry = 1000;
      state.lastMessage = Date.now();
      ws.send(JSON.stringify({ type: "hello", last_call: state.lastCall }));
    };
    ws.onmessage = function (e) {
      state.lastMessage = Date.now();
      var msg;
      try { msg = JSON.parse(e.data); } catch (err) { return; }
      handle(msg);
    };
    ws.onclose = function (e) {
      if (state.ws !== ws) return;
      state.ws = null;
      setOnline(false);
      if (e.code === 4401) { unpaired(); return; }
      setTimeout(connect, retry);
      retry = Math.min(5000, retry * 2);
    };
  }

  function handle(msg) {
    switch (msg.type) {
      case "hello":
        state.layout = msg.layout; state.kind = msg.kind; state.speak = msg.speak; state.media = msg.media;
        state.device = msg.device;
        localStorage.setItem("screen.hello", JSON.stringify(msg));
        setClock(msg);
        applyLayout();
        fitSize($("clock"), clockText(), Math.round(state.layout.fonts.title * 0.8));
        setOnline(true);
        showTapHint();
        reportSoon();
        break;
      case "view":
        state.view = msg.view;
        keepSoon("screen.view", msg.view);
        if (painting) viewWaiting = true; else redraw();
        afterPaint(function (t) { probe.lastView = { seq: msg.view.seq, t: t }; });
        if (probe.onView) probe.onView(msg.view);
        break;
      case "call": takeCall(msg); break;
      case "broadcast": takeBroadcastSound(msg); break;
      case "clip": state.clips[msg.id] = msg.url; probe.clips.push({ id: msg.id, arrived: now(), server_ms: msg.server_ms }); break;
      case "override":
        state.overrides = state.overrides.filter(function (o) { return o.id !== msg.id; });
        state.overrides.push(msg);
        showOverride();
        break;
      case "override_end":
        state.overrides = state.overrides.filter(function (o) { return o.id !== msg.id; });
        showOverride();
        break;
      case "playlist":
        state.playlist = msg;
        localStorage.setItem("screen.playlist", JSON.stringify(msg));
        cachePlaylist(msg).then(reportSoon);
        startMedia();
        break;
      case "heartbeat": setClock(msg); break;
      case "revoked": unpaired(); break;
      default: break;
    }
  }

  // ------------------------------------------------------------------------------------------------ health
  var reportTimer = null;
  function report() {
    if (!state.ws || state.ws.readyState !== 1) return;
    state.ws.send(JSON.stringify({ type: "health", playing: state.playing, cache: state.cache,
      failed: state.failed.slice(-10), sound: state.sound, agent: navigator.userAgent }));
  }
  function reportSoon() { clearTimeout(reportTimer); reportTimer = setTimeout(report, 500); }
  setInterval(report, 15000);

  // ------------------------------------------------------------------------------------------------ pairing
  function unpaired() {
    localStorage.removeItem("screen.paired");
    if (state.ws) { var ws = state.ws; state.ws = null; try { ws.close(); } catch (e) { /* gone */ } }
    $("screen").hidden = true;
    pair();
  }

  function api(method, path) {
    return fetch(path, { method: method, credentials: "same-origin", headers: { "X-Screen": "1" } })
      .then(function (r) { return r.json(); });
  }

  var pairTimer = null;
  function pair() {
    $("pairing").hidden = false;
    api("POST", "/screen/api/pair").then(function (a) {
      $("pair-code").textContent = a.code;
      poll();
    }, function () { setTimeout(pair, 3000); });
  }
  function poll() {
    clearTimeout(pairTimer);
    pairTimer = setTimeout(function () {
      api("GET", "/screen/api/pair").then(function (s) {
        if (s.paired) { start(); return; }
        if (!s.code) { pair(); return; }  // expired: a new code
        poll();
      }, poll);
    }, 1500);
  }

  function start() {
    localStorage.setItem("screen.paired", "1");
    $("pairing").hidden = true;
    $("screen").hidden = false;
    var hello = localStorage.getItem("screen.hello");
    if (hello && !state.layout) {  // the last known state, until the service answers
      try {
        handle(JSON.parse(hello));
        setOnline(false);
        var v = localStorage.getItem("screen.view");
        if (v) { state.view = JSON.parse(v); redraw(); }
        var pl = localStorage.getItem("screen.playlist");
        if (pl) { state.playlist = JSON.parse(pl); startMedia(); }
      } catch (e) { /* stale */ }
    }
    connect();
  }

  var pagedAt = Date.now();
  setInterval(function () {  // rooms that do not fit page through, every page_seconds
    if (!state.view || state.view.kind !== "wall" || !state.layout) return;
    if (Date.now() - pagedAt < (state.layout.page_seconds || 10) * 1000) return;
    pagedAt = Date.now();
    state.page += 1;
    drawRooms(state.view);
  }, 500);

  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register("/screen/sw.js", { scope: "/screen/" }).catch(function () { /* optional */ });
  }

  scaleStage();
  fetch("/screen/api/pair", { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (s) {
    if (s.paired) start(); else pair();
  }, function () {
    if (localStorage.getItem("screen.paired")) start(); else setTimeout(function () { location.reload(); }, 5000);
  });
})();
