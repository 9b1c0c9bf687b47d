/* The phone ticket page: keeps the status current over Server-Sent Events and alerts when the patient is called.
 * Plain ES5 (older WeChat and Safari versions), no library, no build step. */
(function () {
  "use strict";

  var TEXT = {
    zh: {
      your_number: "您的排队号", ahead_before: "您前面还有", ahead_after: "位", room: "诊室", location: "位置",
      sound_off: "点一下这里，叫到您时手机会响铃", sound_on: "提示音已开启，叫到您时会响铃",
      connecting: "正在连接…", live: "● 实时更新中", lost: "连接中断，正在重新连接…",
      footer: "本页会自动更新，无需刷新。链接仅当天有效；家人也可以打开同一链接查看。",
      ok: "我知道了", unassigned: "待分配", lang: "EN", expired: "本号票链接已过期（仅当天有效）。祝您健康！",
      estimate: "预计等候约 {m} 分钟", estimate_range: "预计等候约 {a}-{b} 分钟", next: "马上就到您了，请留意叫号",
      go_to: "请到 {room} 就诊", go_to_no_room: "请尽快到诊室就诊", paused: "{room}暂停接诊，请留意叫号或咨询分诊台。",
      why: "排在这里的原因：{why}", unit: "号",
      onway: "我马上到", leave: "我不排了", onway_note: "已告诉护士您马上到（{t}）",
      onway_sent: "已告诉护士您马上到，请尽快到诊区候诊。", leave_title: "确定不排了吗？", leave_yes: "确认退出排队",
      leave_no: "再想想", left: "您已退出排队。{terms}", busy: "请稍候…",
      offline: "对不起，网络不通，操作没有完成。请稍后再试，或到分诊台咨询，谢谢。",
      journey: "今天的就诊流程", prepare: "请准备：{p}", done_more: "诊室就诊已结束，请按下面的流程继续",
      gate_left: "检查准备中（{what}），还需约 {m} 分钟，请稍候", gate_met: "准备已满足，可以检查了，请留意叫号",
      card_show: "出示就诊卡二维码", card_hide: "收起二维码",
      card_hint: "在自助机扫描此码即可取号、缴费，无需再带身份证。请勿转发给他人。",
      states: {
        registered: "已挂号，请到诊区自助机或分诊台签到", waiting: "候诊中，请留意叫号",
        room_waiting: "已分配诊室，请在诊室门口候诊", called: "正在叫您的号，请尽快到诊室就诊", in_service: "就诊中",
        done: "就诊已结束，祝您健康", missed: "已过号，请到分诊台联系护士", away: "检查中，检查完成后请回到诊区",
        cancelled: "已弃号"
      }
    },
    en: {
      your_number: "Your number", ahead_before: "Patients ahead of you:", ahead_after: "", room: "Room",
      location: "Where", sound_off: "Tap here so your phone rings when you are called",
      sound_on: "Sound is on: your phone rings when you are called", connecting: "Connecting…",
      live: "● Live", lost: "Connection lost, reconnecting…",
      footer: "This page updates itself. The link works today only; family members may open the same link.",
      ok: "OK", unassigned: "not yet assigned", lang: "中文", expired: "This ticket link has expired (it works on the day of the visit only).",
      estimate: "Estimated wait: about {m} min", estimate_range: "Estimated wait: about {a}-{b} min",
      next: "You are next, please listen for your number", go_to: "Please go to {room}",
      go_to_no_room: "Please go to the consulting room now", paused: "{room} has paused; please listen for calls or ask at the triage desk.",
      why: "Why you are here in the queue: {why}", unit: "",
      onway: "I'm on my way", leave: "Leave the queue", onway_note: "The nurse knows you are on your way ({t})",
      onway_sent: "The nurse knows you are on your way; please come to the waiting area soon.",
      leave_title: "Leave the queue?", leave_yes: "Yes, leave the queue", leave_no: "Keep my place",
      left: "You have left the queue. {terms}", busy: "Please wait…",
      offline: "Sorry, the network did not answer and nothing was done. Please try again, or ask at the triage desk.",
      journey: "Today's steps", prepare: "To bring or prepare: {p}",
      gate_left: "Preparing ({what}): about {m} min left, please wait",
      gate_met: "Preparation met: you are ready for the exam; please wait for your call",
      done_more: "The consultation is over; please go on with the steps below",
      card_show: "Show my medical card QR code", card_hide: "Hide the QR code",
      card_hint: "Scan this code at a kiosk to register or pay without your ID card. Do not share it.",
      states: {
        registered: "Registered: please check in at a kiosk or the triage desk", waiting: "Waiting: please listen for your number",
        room_waiting: "Assigned to a room: please wait at its door", called: "You are being called: please go to the room now",
        in_service: "In consultation", done: "Your visit is finished. Take care!",
        missed: "Missed: please see the nurse at the triage desk", away: "At exams: please come back to the waiting area afterwards",
        cancelled: "Cancelled"
      }
    }
  };
  var QUEUED = { registered: 1, waiting: 1, room_waiting: 1 };
  var HEARTBEAT_GRACE_MS = 40000;
  var GATE_TICK_MS = 30000;  // the preparation timer's step on the page

  var $ = function (id) { return document.getElementById(id); };
  var base = location.pathname.replace(/\/+$/, "");
  var page = window.ticketPage = { status: null, alerts: 0, chimes: 0, connected: false, lastEventId: "",
                                   receivedAt: 0 };
  var lang = pickLanguage();
  var alertedCalls = 0;
  var audio = null;      // Web Audio context, unlocked by the patient's tap
  var chimeBuffer = null;
  var source = null;
  var lastHeard = 0;
  var failures = 0;        // connection attempts refused in a row (503 too many connections, 404, no network)
  var retryTimer = null;   // the next attempt, while backing off
  var expired = false;
  // active/standby: the service addresses to move to when the one followed stops answering (a standby refuses)
  var services = [];
  try { services = JSON.parse(($("services") || {}).textContent || "[]"); } catch (e) { services = []; }
  var serviceAt = services.indexOf(location.origin);  // -1: the page's own address first

  function pickLanguage() {
    var saved = null;
    try { saved = localStorage.getItem("ticket-lang"); } catch (e) { saved = null; }
    if (saved === "zh" || saved === "en") { return saved; }
    var nav = (navigator.language || "zh").toLowerCase();
    return nav.indexOf("en") === 0 ? "en" : "zh";
  }

  function t(key, values) {
    var text = TEXT[lang][key];
    if (text === undefined) { text = TEXT.zh[key] || key; }
    for (var k in values || {}) {
      if (Object.prototype.hasOwnProperty.call(values, k)) { text = text.split("{" + k + "}").join(values[k]); }
    }
    return text;
  }

  function pick(zh, en) { return lang === "en" && en ? en : zh; }

  // a place in the page's one language: an English page never shows a Chinese location ("" when none in English)
  function place(zh, en) { return lang === "en" ? (en || "") : (zh || ""); }

  function setText(id, text) { var el = $(id); if (el && el.textContent !== text) { el.textContent = text; } }

  function translateStatic() {
    document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
    var nodes = document.querySelectorAll("[data-t]");
    for (var i = 0; i < nodes.length; i++) {
      var key = nodes[i].getAttribute("data-t");
      if (key === "sound_off" && audio) { key = "sound_on"; }
      nodes[i].textContent = t(key);
    }
    setText("lang", t("lang"));
  }

  function render(s) {
    page.status = s;
    document.title = s.ticket + (lang === "en" ? " - queue" : " 号 候诊信息");
    setText("hospital", pick(s.hospital, s.hospital_en));
    setText("ticket", s.ticket);
    setText("name", s.name || "");
    setText("dept", pick(s.dept_name, s.dept_name_en) || "");
    var state = $("state");
    state.setAttribute("data-state", s.state);
    var more = s.state === "done" && s.journey && openSteps(s.journey) > 0;
    setText("state", expired ? t("expired") : more ? t("done_more") : (TEXT[lang].states[s.state] || s.state));
    var queued = !!QUEUED[s.state] && s.position;
    $("ahead-box").hidden = !queued;
    setText("ahead", queued ? String(s.ahead) : "-");
    setText("estimate", queued ? estimateText(s) : "");
    setText("room", pick(s.room_name, s.room_name_en) || t("unassigned"));
    setText("location", place(s.location, s.location_en) || pick(s.area_name, s.area_name_en) || "-");
    var why = $("why");
    var reason = pick(s.why_zh, s.why_en);
    why.hidden = !reason || !QUEUED[s.state];
    setText("why", reason ? t("why", { why: reason }) : "");
    var paused = $("paused");
    paused.hidden = !(s.room_paused && QUEUED[s.state]);
    setText("paused", s.room_paused ? t("paused", { room: pick(s.room_name, s.room_name_en) || "" }) : "");
    var mayAct = !!s.may_leave && !expired;
    $("actions").hidden = !mayAct;
    $("onway-note").hidden = !(s.on_way_at && mayAct);
    setText("onway-note", s.on_way_at ? t("onway_note", { t: s.on_way_at }) : "");
    if (!mayAct) { $("leave-sheet").hidden = true; }
    renderJourney(s.journey);
    renderCalled(s);
  }

  // ---- the whole journey (一票到底): every open step, where, what to prepare, places ahead -----------------
  function renderJourney(j) {
    var box = $("journey");
    box.hidden = !j;
    if (!j) { return; }
    var next = pick(j.next_text, j.next_text_en);
    var list = $("journey-steps");
    while (list.firstChild) { list.removeChild(list.firstChild); }
    for (var i = 0; i < j.steps.length; i++) {
      var step = j.steps[i];
      var li = document.createElement("li");
      var sent = pick(step.text, step.text_en);
      var timer = gateLine(step);
      li.className = "step " + step.state + (step.stage === "unpaid" ? " unpaid" : "") +
        (timer ? (timer.met ? " gate-met" : " gate") : "");
      li.setAttribute("data-kind", step.kind);
      appendLine(li, "step-title", pick(step.title, step.title_en));
      appendLine(li, "step-place", place(step.place, step.place_en));
      appendLine(li, "step-text", timer ? timer.text : sent);
      if (timer && sent && next.indexOf(sent) === 0) { next = timer.text + next.slice(sent.length); }
      var prep = pick(step.prepare, step.prepare_en);
      if (prep && step.state !== "done" && step.state !== "cancelled") { appendLine(li, "step-prep", t("prepare", { p: prep })); }
      list.appendChild(li);
    }
    setText("journey-next", next);
  }

  // A step held by its preparation comes with the seconds left when the status was sent (gate_seconds) and what
  // it waits for (gate_what): the page counts down from the moment it received them, also while offline, and
  // says when the preparation is met. null: no timer on this step.
  function gateLine(step) {
    if (typeof step.gate_seconds !== "number" || !step.gate_what) { return null; }
    var left = step.gate_seconds - Math.floor((Date.now() - page.receivedAt) / 1000);
    if (left <= 0) { return { met: true, text: t("gate_met") }; }
    return { met: false, text: t("gate_left", { what: pick(step.gate_what, step.gate_what_en), m: Math.ceil(left / 60) }) };
  }

  function hasTimer(j) {
    for (var i = 0; j && i < j.steps.length; i++) {
      if (typeof j.steps[i].gate_seconds === "number" && j.steps[i].gate_what) { return true; }
    }
    return false;
  }

  function received(s) {  // a status from the service: the timers count from now
    page.receivedAt = Date.now();
    render(s);
  }

  function openSteps(j) {
    var n = 0;
    for (var i = 0; i < j.steps.length; i++) { if (j.steps[i].state !== "done" && j.steps[i].state !== "cancelled") { n += 1; } }
    return n;
  }

  function appendLine(parent, cls, text) {
    if (!text) { return; }
    var p = document.createElement("p");
    p.className = cls;
    p.textContent = text;
    parent.appendChild(p);
  }

  // ---- the page talks back: 我马上到 and 我不排了 (refused by the service once the patient is called) ---------
  function request(method, path, done) {
    var xhr = new XMLHttpRequest();
    xhr.open(method, base + path, true);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.onload = function () {
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      done(xhr.status, body);
    };
    xhr.onerror = function () { done(0, null); };
    xhr.send();
  }

  function say(text, bad) {
    var msg = $("act-msg");
    msg.className = bad ? "actmsg bad" : "actmsg";
    msg.hidden = !text;
    setText("act-msg", text || "");
  }

  function refusal(status, body) {
    var err = body && body.error;
    return err ? pick(err.message_zh, err.message_en) : t("offline");
  }

  function busy(button, on) { button.disabled = on; }

  $("onway").addEventListener("click", function () {
    var button = $("onway");
    busy(button, true);
    say(t("busy"), false);
    request("POST", "/on-my-way", function (status, body) {
      busy(button, false);
      if (status === 200) { say(t("onway_sent"), false); page.onWay = (page.onWay || 0) + 1; }
      else { say(refusal(status, body), true); }
    });
  });

  $("leave").addEventListener("click", function () {
    say(t("busy"), false);
    request("GET", "/leave", function (status, body) {  // the refund rule first, then the patient decides
      if (status !== 200 || !body) { say(refusal(status, body), true); return; }
      say("", false);
      setText("leave-terms", pick(body.text, body.text_en));
      $("leave-sheet").hidden = false;
    });
  });

  $("leave-no").addEventListener("click", function () { $("leave-sheet").hidden = true; });

  $("leave-yes").addEventListener("click", function () {
    var button = $("leave-yes");
    busy(button, true);
    request("POST", "/leave", function (status, body) {
      busy(button, false);
      $("leave-sheet").hidden = true;
      if (status === 200 && body) {
        say(t("left", { terms: pick(body.terms.text, body.terms.text_en) }), false);
        page.left = true;
      } else { say(refusal(status, body), true); }
    });
  });

  // ---- the medical card's QR (only when the hospital keeps the patient's record here) --------------------
  var cardImage = $("medcard-qr");
  cardImage.onload = function () { $("medcard").hidden = false; };
  cardImage.onerror = function () { $("medcard").hidden = true; };
  $("medcard-show").addEventListener("click", function () {
    var box = $("medcard-box");
    box.hidden = !box.hidden;
    setText("medcard-show", t(box.hidden ? "card_show" : "card_hide"));
  });

  function estimateText(s) {
    if (!s.ahead) { return t("next"); }
    if (s.estimate_min !== undefined && s.estimate_max !== undefined && s.estimate_min !== null && s.estimate_max !== null) {
      var a = Math.round(s.estimate_min), b = Math.round(s.estimate_max);
      return a === b ? t("estimate", { m: a }) : t("estimate_range", { a: a, b: b });
    }
    return t("estimate", { m: Math.max(1, Math.round(s.estimate_minutes || 0)) });
  }

  function renderCalled(s) {
    var overlay = $("called");
    if (s.state !== "called") { overlay.hidden = true; return; }
    var room = pick(s.room_name, s.room_name_en);
    setText("called-ticket", s.ticket);
    setText("called-text", room ? t("go_to", { room: room }) : t("go_to_no_room"));
    setText("called-where", place(s.room_location, s.room_location_en) || place(s.location, s.location_en));
    if ((s.call_count || 1) > alertedCalls) {
      alertedCalls = s.call_count || 1;
      overlay.hidden = false;
      alertPatient();
    }
  }

  function alertPatient() {
    page.alerts += 1;
    if (navigator.vibrate) {
      try { navigator.vibrate([600, 200, 600, 200, 600]); } catch (e) { /* some browsers refuse without a tap */ }
    }
    playChime();
  }

  // ---- sound: browsers play sound only after the person has touched the page once --------------------------
  function unlockSound(sample) {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) { return; }
    if (!audio) {
      audio = new Ctx();
      var silent = audio.createBuffer(1, 1, 22050);
      var src = audio.createBufferSource();
      src.buffer = silent;
      src.connect(audio.destination);
      if (src.start) { src.start(0); } else { src.noteOn(0); }
      loadChime();
    }
    if (audio.resume) { audio.resume(); }
    $("sound").className = "sound on";
    setText("sound", t("sound_on"));
    if (sample !== false) { playChime(); }  // the patient hears once what the call will sound like
  }

  function loadChime() {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", "/t/assets/chime.wav", true);
    xhr.responseType = "arraybuffer";
    xhr.onload = function () {
      if (xhr.status !== 200) { return; }
      audio.decodeAudioData(xhr.response, function (buffer) { chimeBuffer = buffer; }, function () { chimeBuffer = null; });
    };
    xhr.send();
  }

  function playChime() {
    if (!audio) { return; }
    page.chimes += 1;
    if (chimeBuffer) {
      var src = audio.createBufferSource();
      src.buffer = chimeBuffer;
      src.connect(audio.destination);
      if (src.start) { src.start(0); } else { src.noteOn(0); }
      return;
    }
    // the file is not loaded yet: two soft tones
    var now = audio.currentTime;
    [[880, 0], [660, 0.35]].forEach(function (tone) {
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.frequency.value = tone[0];
      gain.gain.setValueAtTime(0.0001, now + tone[1]);
      gain.gain.exponentialRampToValueAtTime(0.4, now + tone[1] + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + tone[1] + 0.6);
      osc.connect(gain); gain.connect(audio.destination);
      osc.start(now + tone[1]); osc.stop(now + tone[1] + 0.65);
    });
  }

  // ---- live updates --------------------------------------------------------------------------------------
  function setConnected(ok) {
    page.connected = ok;
    var conn = $("conn");
    conn.className = ok ? "conn" : "conn lost";
    conn.setAttribute("data-t", ok ? "live" : "lost");
    setText("conn", expired ? "" : t(ok ? "live" : "lost"));
  }

  function heard() { lastHeard = Date.now(); failures = 0; if (!page.connected) { setConnected(true); } }

  // Refused connections back off: 5 s, 10 s, 20 s ... up to 2 minutes, each with up to half again at random, so
  // that a thousand phones refused together (503 with Retry-After) do not come back together.
  function retryLater(firstMs) {
    if (retryTimer) { return; }
    var delay = Math.min(120000, firstMs * Math.pow(2, failures));
    failures += 1;
    delay += Math.floor(Math.random() * delay / 2);
    retryTimer = setTimeout(function () { retryTimer = null; reconnect(); }, delay);
  }

  function connect() {
    if (!window.EventSource || expired) { return; }
    var root = serviceAt < 0 ? "" : services[serviceAt];
    var url = root + base + "/events" + (page.lastEventId ? "?last=" + encodeURIComponent(page.lastEventId) : "");
    source = new EventSource(url);
    source.addEventListener("status", function (e) {
      heard();
      if (e.lastEventId) { page.lastEventId = e.lastEventId; }
      received(JSON.parse(e.data));
    });
    source.addEventListener("ping", heard);
    source.addEventListener("expired", function () {
      expired = true;
      source.close();
      setConnected(true);
      render(page.status);
    });
    source.onerror = function () {
      setConnected(false);
      if (services.length > 1) {  // the next service address (the new active one after a failover)
        source.close();
        serviceAt = (serviceAt + 1) % services.length;
        if (failures < services.length) {  // each address once, quickly; then back off
          failures += 1;
          if (!retryTimer) { retryTimer = setTimeout(function () { retryTimer = null; reconnect(); }, 1000); }
        } else { retryLater(5000); }
      } else if (source.readyState === 2) { retryLater(5000); }  // refused (503 busy, 404): later, backing off
    };
    lastHeard = Date.now();
  }

  function reconnect() {
    if (source) { source.close(); }
    connect();
  }

  setInterval(function () {  // a connection that went silent (no heartbeat) is replaced
    if (!expired && !retryTimer && Date.now() - lastHeard > HEARTBEAT_GRACE_MS) { setConnected(false); reconnect(); }
  }, 5000);

  setInterval(function () {  // the preparation timer goes on between updates (and without the network)
    if (page.status && hasTimer(page.status.journey)) { renderJourney(page.status.journey); }
  }, GATE_TICK_MS);

  $("sound").addEventListener("click", function () { unlockSound(true); });
  $("called-ok").addEventListener("click", function () { $("called").hidden = true; unlockSound(false); });
  $("lang").addEventListener("click", function () {
    lang = lang === "zh" ? "en" : "zh";
    try { localStorage.setItem("ticket-lang", lang); } catch (e) { /* private mode */ }
    translateStatic();
    setConnected(page.connected);
    render(page.status);
  });

  cardImage.src = base + "/card.svg";
  var initial = JSON.parse($("initial").textContent);
  if (initial.state === "called") { alertedCalls = 0; }
  translateStatic();
  received(initial);
  connect();
})();
