// 服务效能驾驶舱: plain JavaScript, no build step. Data from /cockpit/api/*, charts by the vendored Apache ECharts.
"use strict";

const TEXT = {
  zh: { title: "服务效能驾驶舱", today: "今日", week: "本周", month: "本月", logout: "退出", login: "管理人员登录",
        username: "用户名", password: "密码", signin: "登录", drill: "下级明细（点击查看）", pdca: "本月 PDCA 分析",
        xlsx: "导出本月 XLSX", csv: "导出本月 CSV", live: "实时更新中", name: "名称", trend: "趋势", channels: "挂号渠道",
        bad: "用户名或密码不正确，请重新输入。", lang: "English", whatif: "模拟推演（按所选日期重放）",
        changes: "规则调整（每行一条）", rooms: "加开诊室", run: "开始推演", happened: "实际", replayed: "原样重放",
        changed: "调整后", measure: "指标", visits: "就诊人次", wait_median: "候诊中位数(分钟)",
        wait_p90: "候诊P90(分钟)", wait_alerts: "超时告警", missed: "过号", unserved: "未接诊", room_utilisation: "诊室利用率(%)" },
  en: { title: "Service cockpit", today: "Today", week: "This week", month: "This month", logout: "Log out",
        login: "Manager login", username: "User name", password: "Password", signin: "Log in",
        drill: "Breakdown (click to drill down)", pdca: "PDCA review of the month", xlsx: "Export month as XLSX",
        csv: "Export month as CSV", live: "Updating live", name: "Name", trend: "Trend", channels: "Registration channels",
        bad: "Wrong user name or password.", lang: "中文", whatif: "What-if (replays the chosen day)",
        changes: "Rule changes (one per line)", rooms: "Open extra rooms", run: "Run", happened: "Happened",
        replayed: "Replayed as it was", changed: "What-if", measure: "Measure", visits: "Visits",
        wait_median: "Median wait (min)", wait_p90: "P90 wait (min)", wait_alerts: "Wait alerts", missed: "Missed",
        unserved: "Not served", room_utilisation: "Room utilisation (%)" },
};
const CARDS = ["registrations", "served", "wait_median", "wait_p90", "service_median", "missed_rate",
               "room_utilisation", "visits_per_room_hour", "no_show_rate", "wait_alerts", "alert_response_median",
               "help_requests", "kiosk_uptime", "satisfaction"];
const COLUMNS = ["registrations", "served", "wait_median", "wait_p90", "missed_rate", "room_utilisation"];
const UNIT = { zh: { min: "分钟", "%": "%", count: "", per_hour: "", stars: "星", yuan: "元" },
               en: { min: " min", "%": "%", count: "", per_hour: "", stars: "★", yuan: " yuan" } };

const state = { lang: localStorage.getItem("cockpit-lang") || "zh", period: "day", day: null,
                trail: [{ level: "hospital", key: "" }], data: null };
const $ = (id) => document.getElementById(id);
const t = (k) => TEXT[state.lang][k] || k;
let trendChart = null, channelChart = null, reloadTimer = null;

function fmt(v) { return v === null || v === undefined ? "—" : String(Math.round(v * 100) / 100); }

function applyLanguage() {
  document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  $("lang").textContent = t("lang");
  document.title = t("title");
  if (state.data) render(state.data);
}

async function api(path, options = {}) {
  const r = await fetch(path, { credentials: "same-origin", ...options,
                                headers: { "X-Cockpit": "1", "Content-Type": "application/json", ...(options.headers || {}) } });
  if (r.status === 401) { showLogin(); throw new Error("login"); }
  return r;
}

function showLogin() {
  $("login").hidden = false; $("board").hidden = true; $("periods").hidden = true; $("logout").hidden = true;
}

async function start() {
  const r = await fetch("/cockpit/api/me", { credentials: "same-origin" });
  if (r.status !== 200) { showLogin(); return; }
  const me = await r.json();
  $("who").textContent = me.name;
  state.campus = me.campus;
  if (me.group) state.trail = [{ level: "group", key: "" }];  // several campuses on one database: the group first
  $("login").hidden = true; $("board").hidden = false; $("periods").hidden = false; $("logout").hidden = false;
  await load();
  listen();
}

async function load() {
  const scope = state.trail[state.trail.length - 1];
  const q = new URLSearchParams({ period: state.period, level: scope.level, key: scope.key });
  if (state.day) q.set("day", state.day);
  const r = await api("/cockpit/api/view?" + q);
  state.data = await r.json();
  if (!state.day && state.period === "day") $("day").value = state.data.to;  // today, as the service counts it
  render(state.data);
  document.body.dataset.shown = state.period;  // what the page shows now (tests and screenshots wait for it)
}

function name(o) { return state.lang === "zh" ? o.name_zh : o.name_en; }
function def(id) { return state.data.definitions.find((d) => d.id === id); }
function label(id) { const d = def(id); return state.lang === "zh" ? d.zh : d.en; }

function render(data) {
  $("crumbs").innerHTML = "";
  state.trail.forEach((s, i) => {
    const a = document.createElement("a");
    a.textContent = i === state.trail.length - 1 ? name(data.scope) : (s.name || s.key || "…");
    a.dataset.depth = i;
    a.onclick = () => { state.trail = state.trail.slice(0, i + 1); load(); };
    $("crumbs").appendChild(a);
  });
  state.trail[state.trail.length - 1].name = name(data.scope);
  $("cards").innerHTML = CARDS.map((id) =>
    `<div class="card" data-kpi="${id}"><div class="v">${fmt(data.kpis[id])}<small>${data.kpis[id] === null ? "" : UNIT[state.lang][def(id).unit]}</small></div>` +
    `<div class="n">${label(id)}</div></div>`).join("");
  const head = `<tr><th>${t("name")}</th>` + COLUMNS.map((c) => `<th>${label(c)}</th>`).join("") + "</tr>";
  $("children").querySelector("thead").innerHTML = data.children.length ? head : "";
  const body = $("children").querySelector("tbody");
  body.innerHTML = "";
  data.children.forEach((c) => {
    const tr = document.createElement("tr");
    tr.dataset.level = c.level; tr.dataset.key = c.key;
    tr.innerHTML = `<td>${name(c)}</td>` + COLUMNS.map((k) => `<td>${fmt(c.kpis[k])}</td>`).join("");
    if (c.level !== "room" && c.level !== "doctor") {
      // this campus opens as the hospital (areas, departments...); another campus shows its own figures
      const next = c.level === "campus" && c.key === state.campus ? { level: "hospital", key: "" } : { level: c.level, key: c.key };
      tr.onclick = () => { state.trail.push({ ...next, name: name(c) }); load(); };
    }
    body.appendChild(tr);
  });
  const month = data.to.slice(0, 7);
  const dept = data.scope.level === "dept" ? data.scope.key : "";
  const q = `month=${month}&dept=${dept}`;
  $("pdca-link").href = `/cockpit/pdca?${q}`;
  $("xlsx-link").href = `/cockpit/export/pdca.xlsx?${q}`;
  $("csv-link").href = `/cockpit/export/pdca.csv?${q}`;
  drawCharts(data);
}

function drawCharts(data) {
  trendChart = trendChart || echarts.init($("chart-trend"), null, { renderer: "canvas" });
  channelChart = channelChart || echarts.init($("chart-channels"), null, { renderer: "canvas" });
  const days = data.series.map((s) => s.day.slice(5));
  trendChart.setOption({
    animation: false,
    title: { text: t("trend"), left: 8, top: 4, textStyle: { fontSize: 14 } },
    tooltip: { trigger: "axis" },
    legend: { top: 28, right: 8 },
    grid: { left: 48, right: 48, top: 72, bottom: 30 },
    xAxis: { type: "category", data: days },
    yAxis: [{ type: "value", name: label("registrations") }, { type: "value", name: state.lang === "zh" ? "分钟" : "min" }],
    series: [
      { name: label("registrations"), type: "bar", data: data.series.map((s) => s.kpis.registrations), itemStyle: { color: "#7fb3d5" } },
      { name: label("wait_median"), type: "line", yAxisIndex: 1, data: data.series.map((s) => s.kpis.wait_median), itemStyle: { color: "#0b5c8a" } },
      { name: label("wait_p90"), type: "line", yAxisIndex: 1, data: data.series.map((s) => s.kpis.wait_p90), itemStyle: { color: "#e07a5f" } },
    ],
  }, true);
  const channels = ["reg_kiosk", "reg_window", "reg_appointment", "reg_phone"];
  const colours = { reg_kiosk: "#0b5c8a", reg_window: "#ffc857", reg_appointment: "#81b29a", reg_phone: "#e07a5f" };
  const used = channels.filter((c) => data.kpis[c] > 0);  // no slice for a channel nobody used
  channelChart.setOption({
    animation: false,
    title: { text: t("channels"), left: 8, top: 4, textStyle: { fontSize: 14 },
             subtext: used.length ? "" : (state.lang === "zh" ? "暂无挂号" : "no registrations") },
    tooltip: { trigger: "item" },
    series: [{ type: "pie", radius: ["35%", "65%"], top: 20,
               data: used.map((c) => ({ name: label(c), value: data.kpis[c], itemStyle: { color: colours[c] } })) }],
  }, true);
}

function listen() {
  const source = new EventSource("/cockpit/api/stream");
  source.addEventListener("changed", () => {
    const today = !state.day || state.day === new Date().toISOString().slice(0, 10);
    if (state.period !== "day" || !today) return;
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(load, 500);  // a burst of calls reloads once
  });
}

document.addEventListener("DOMContentLoaded", () => {
  applyLanguage();
  $("lang").onclick = () => { state.lang = state.lang === "zh" ? "en" : "zh"; localStorage.setItem("cockpit-lang", state.lang); applyLanguage(); };
  $("login").onsubmit = async (ev) => {
    ev.preventDefault();
    const form = new FormData($("login"));
    const r = await fetch("/cockpit/api/login", { method: "POST", credentials: "same-origin",
      headers: { "X-Cockpit": "1", "Content-Type": "application/json" },
      body: JSON.stringify({ username: form.get("username"), password: form.get("password") }) });
    if (r.status === 200) { $("login-error").textContent = ""; start(); return; }
    const err = await r.json().catch(() => ({}));
    $("login-error").textContent = (err.error && (state.lang === "zh" ? err.error.message_zh : err.error.message_en)) || t("bad");
  };
  $("logout").onclick = async () => { await api("/cockpit/api/logout", { method: "POST" }); location.reload(); };
  document.querySelectorAll("#periods button").forEach((b) => {
    b.onclick = () => {
      document.querySelectorAll("#periods button").forEach((x) => x.classList.toggle("on", x === b));
      state.period = b.dataset.period; load();
    };
  });
  $("day").onchange = () => { state.day = $("day").value || null; load(); };
  $("whatif-form").onsubmit = async (ev) => {
    ev.preventDefault();
    const form = new FormData($("whatif-form"));
    $("whatif-error").textContent = "";
    const r = await api("/cockpit/api/simulate", { method: "POST", body: JSON.stringify({
      day: $("day").value, set: String(form.get("set") || "").split("\n"),
      open_rooms: String(form.get("open_rooms") || "").split(/[ ,，]+/) }) });
    const data = await r.json();
    if (r.status !== 200) {
      $("whatif-error").textContent = state.lang === "zh" ? data.error.message_zh : data.error.message_en;
      return;
    }
    const cols = ["happened", "replayed as it was", "what-if"];
    $("whatif-table").querySelector("thead").innerHTML =
      `<tr><th>${t("measure")}</th><th>${t("happened")}</th><th>${t("replayed")}</th><th>${t("changed")}</th></tr>`;
    $("whatif-table").querySelector("tbody").innerHTML = data.rows.map((row) =>
      `<tr data-measure="${row.measure}"><td>${t(row.measure)}</td>` + cols.map((c) => `<td>${fmt(row[c])}</td>`).join("") + "</tr>").join("");
    $("whatif-table").hidden = false;
  };
  window.addEventListener("resize", () => { trendChart && trendChart.resize(); channelChart && channelChart.resize(); });
  start();
});
