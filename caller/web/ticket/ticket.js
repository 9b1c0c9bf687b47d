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

  var $ = function (id) { return document.getElementById(id); };
  var base = location.pathname.replace(/\/+$/, "");
  var page = window.ticketPage = { status: null, alerts: 0, chimes: 0, connected: false, lastEventId: "" };
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
    setText("state", expired ? t("expired") : (TEXT[lang].states[s.state] || s.state));
    var queued = !!QUEUED[s.state] && s.position;
    $("ahead-box").hidden = !queued;
    setText("ahead", queued ? String(s.ahead) : "-");
    setText("estimate", queued ? estimateText(s) : "");
    setText("room", pick(s.room_name, s.room_name_en) || t("unassigned"));
    setText("location", s.location || pick(s.area_name, s.area_name_en) || "-");
    var why = $("why");
    var reason = pick(s.why_zh, s.why_en);
    why.hidden = !reason || !QUEUED[s.state];
    setText("why", reason ? t("why", { why: reason }) : "");
    var paused = $("paused");
    paused.hidden = !(s.room_paused && QUEUED[s.state]);
    setText("paused", s.room_paused ? t("paused", { room: pick(s.room_name, s.room_name_en) || "" }) : "");
    renderCalled(s);
  }

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
    setText("called-where", s.room_location || s.location || "");
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
      render(JSON.parse(e.data));
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

  $("sound").addEventListener("click", function () { unlockSound(true); });
  $("called-ok").addEventListener("click", function () { $("called").hidden = true; unlockSound(false); });
  $("lang").addEventListener("click", function () {
    lang = lang === "zh" ? "en" : "zh";
    try { localStorage.setItem("ticket-lang", lang); } catch (e) { /* private mode */ }
    translateStatic();
    setConnected(page.connected);
    render(page.status);
  });

  var initial = JSON.parse($("initial").textContent);
  if (initial.state === "called") { alertedCalls = 0; }
  translateStatic();
  render(initial);
  connect();
})();
