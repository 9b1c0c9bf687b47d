// 服务效能驾驶舱: plain JavaScript, no build step. Data from /cockpit/api/*, charts by the vendored Apache ECharts.
// /cockpit/?wall=1 is the wall mode (大屏) for the director's office: today, the whole hospital, updating live.
"use strict";

const TEXT = {
  zh: { title: "服务效能驾驶舱", today: "今日", week: "本周", month: "本月", logout: "退出", login: "管理人员登录",
        username: "用户名", password: "密码", signin: "登录", drill: "下级明细（点击查看）", pdca: "打印本月 PDCA",
        xlsx: "导出本月 XLSX", csv: "导出本月 CSV", live: "实时更新中", name: "名称", trend: "每日趋势", channels: "挂号渠道",
        bad: "用户名或密码不正确，请重新输入。", lang: "English", whatif: "模拟推演（按所选日期重放）",
        area: "诊区", cap: "每诊室候诊人数", rooms: "加开诊室", new_rooms: "另开新诊室", am: "上午出诊", pm: "下午出诊",
        unchanged: "不变", run: "开始推演", happened: "实际", replayed: "原样重放",
        changed: "调整后", measure: "指标", visits: "就诊人次", wait_median: "候诊中位数(分钟)",
        wait_p90: "候诊P90(分钟)", wait_alerts: "超时告警", missed: "过号", unserved: "未接诊", room_utilisation: "诊室利用率(%)",
        worked: "当日已出诊", wall: "大屏模式", mom: "环比", yoy: "同比", target: "目标", pp: "个百分点",
        legend_met: "达标", legend_unmet: "未达标",
        legend_compare: "环比：与上一期相比；同比：与去年同期相比（日、周按 52 周前的同一天）",
        hours: "按时段的平均等候（分钟）", hours_sub: "按开始等候的钟点统计",
        partial: "今日尚未结束：人次、金额和诊室利用率等累计数不作环比、同比。", clinic_wait: "门诊候诊", ranking: "科室排名（候诊中位数由长到短）",
        rank: "名次", dept: "科室", journey: "一票到底：各环节等候与周转", step: "环节", count: "人次",
        wait_med: "等候中位数", wait_90: "等候P90", turnaround: "配药/检验周转中位数", whole: "全程（挂号到最后一步完成）",
        pharmacy: "取药", lab: "采血", imaging: "检查", cashier: "收费窗口", dispense: "配药时长", lab_tat: "检验周转",
        pdca_title: "PDCA 月度记录", plan: "P 计划", plan_note: "本月计划措施", do: "D 执行", when: "日期",
        action: "已完成的措施", by: "执行人", add: "添加一条", check: "C 检查", act: "A 处理", decision: "处理决定",
        note: "说明", save: "保存记录", saved: "已保存：", none_decided: "（尚未决定）", no_target: "未设目标",
        actual: "实际", met: "达标", unmet: "未达标", room_use_note: "诊室利用率的定义见上方卡片下的说明。" },
  en: { title: "Service cockpit", today: "Today", week: "This week", month: "This month", logout: "Log out",
        login: "Manager login", username: "User name", password: "Password", signin: "Log in",
        drill: "Breakdown (click to drill down)", pdca: "Print the month's PDCA", xlsx: "Export month as XLSX",
        csv: "Export month as CSV", live: "Updating live", name: "Name", trend: "Daily trend", channels: "Registration channels",
        bad: "Wrong user name or password.", lang: "中文", whatif: "What-if (replays the chosen day)",
        area: "Area", cap: "Patients per room list", rooms: "Open more rooms", new_rooms: "New rooms", am: "Morning session",
        pm: "Afternoon session", unchanged: "unchanged", run: "Run", happened: "Happened",
        replayed: "Replayed as it was", changed: "What-if", measure: "Measure", visits: "Visits",
        wait_median: "Median wait (min)", wait_p90: "P90 wait (min)", wait_alerts: "Wait alerts", missed: "Missed",
        unserved: "Not served", room_utilisation: "Room use (%)", worked: "worked that day", wall: "Wall mode",
        mom: "vs last period", yoy: "vs last year", target: "target", pp: " pp", legend_met: "target met",
        legend_unmet: "target missed",
        legend_compare: "vs last period: the period before; vs last year: the same period a year before (days and weeks: 52 weeks back)",
        hours: "Mean wait by hour of day (min)", hours_sub: "by the hour the wait began", clinic_wait: "Clinic wait",
        partial: "Today is not over: counts, revenue and room use are not set against whole days.",
        ranking: "Departments ranked (longest median wait first)", rank: "#", dept: "Department",
        journey: "The whole journey: each step's waits and turnaround", step: "Step", count: "Count",
        wait_med: "Median wait", wait_90: "P90 wait", turnaround: "Dispensing / lab turnaround, median",
        whole: "Whole journey (registration to last step done)", pharmacy: "Pharmacy", lab: "Lab draw",
        imaging: "Imaging", cashier: "Cashier", dispense: "Dispensing", lab_tat: "Lab turnaround",
        pdca_title: "PDCA record of the month", plan: "P Plan", plan_note: "What we plan this month", do: "D Do",
        when: "Date", action: "Action done", by: "Who", add: "Add a line", check: "C Check", act: "A Act",
        decision: "Decision", note: "Note", save: "Save the record", saved: "Saved: ", none_decided: "(not decided yet)",
        no_target: "no target", actual: "actual", met: "met", unmet: "missed",
        room_use_note: "Room use is defined under the cards above." },
};
const CARDS = ["registrations", "served", "wait_median", "wait_p90", "service_median", "missed_rate",
               "room_utilisation", "visits_per_room_hour", "no_show_rate", "wait_alerts", "alert_response_median",
               "help_requests", "kiosk_uptime", "satisfaction", "journey_median"];
const WALL_CARDS = ["registrations", "served", "wait_median", "wait_p90", "missed_rate", "room_utilisation",
                    "wait_alerts", "journey_median"];
// room use is shown once, on its card with its explanation; the breakdown shows the other figures
const COLUMNS = ["registrations", "served", "wait_median", "wait_p90", "missed_rate"];
const STEP_KINDS = ["pharmacy", "lab", "imaging", "cashier"];
const HOURLY = ["wait", "step_wait:pharmacy", "step_wait:lab", "step_wait:imaging", "dispense", "lab_tat"];
const UNIT = { zh: { min: "分钟", "%": "%", count: "", per_hour: "", stars: "星", yuan: "元" },
               en: { min: " min", "%": "%", count: "", per_hour: "", stars: "★", yuan: " yuan" } };
const DECISIONS = { zh: { "": "（尚未决定）", standardise: "措施有效，标准化推广", continue: "部分有效，进入下一轮 PDCA",
                          adjust: "调整目标或措施", stop: "措施无效，停止" },
                    en: { "": "(not decided yet)", standardise: "It worked: make it the standard",
                          continue: "Partly: another cycle", adjust: "Change the targets or the actions",
                          stop: "It did not work: stop it" } };

const WALL = new URLSearchParams(location.search).get("wall") === "1";
const state = { lang: localStorage.getItem("cockpit-lang") || "zh", period: "day", day: null,
                trail: [{ level: "hospital", key: "" }], data: null, pdca: null, options: null };
const $ = (id) => document.getElementById(id);
const t = (k) => TEXT[state.lang][k] || k;
const esc = (s) => String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g,
  (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
let trendChart = null, channelChart = null, hoursChart = null, stepsChart = null, reloadTimer = null;

function fmt(v) { return v === null || v === undefined ? "—" : String(Math.round(v * 100) / 100); }

function applyLanguage() {
  document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  $("lang").textContent = t("lang");
  document.title = t("title");
  if (state.data) render(state.data);
  if (state.pdca) renderPdca(state.pdca);
  if (state.options) renderOptions(state.options);
}

async function api(path, options = {}) {
  const r = await fetch(path, { credentials: "same-origin", ...options,
                                headers: { "X-Cockpit": "1", "Content-Type": "application/json", ...(options.headers || {}) } });
  if (r.status === 401) { showLogin(); throw new Error("login"); }
  return r;
}

function showLogin() {
  $("login").hidden = false; $("board").hidden = true; $("periods").hidden = true; $("logout").hidden = true;
  $("wall").hidden = true;
}

async function start() {
  const r = await fetch("/cockpit/api/me", { credentials: "same-origin" });
  if (r.status !== 200) { showLogin(); return; }
  const me = await r.json();
  $("who").textContent = me.name;
  state.campus = me.campus;
  if (me.group && !WALL) state.trail = [{ level: "group", key: "" }];  // several campuses on one database: the group first
  $("login").hidden = true; $("board").hidden = false; $("periods").hidden = WALL; $("logout").hidden = WALL;
  $("wall").hidden = WALL;
  await load();
  if (!WALL) loadOptions();  // the PDCA record loads with the first view (render)
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
  document.body.dataset.loads = String(Number(document.body.dataset.loads || 0) + 1);
}

function name(o) { return state.lang === "zh" ? o.name_zh : o.name_en; }
function def(id) { return state.data.definitions.find((d) => d.id === id); }
function label(id) { const d = def(id); return d ? (state.lang === "zh" ? d.zh : d.en) : id; }
function unit(id) { const d = def(id); return d ? UNIT[state.lang][d.unit] : ""; }

function changeText(c) {
  if (!c) return "—";
  const arrow = c.delta > 0 ? "↑" : c.delta < 0 ? "↓" : "→";
  return `${arrow}${Math.abs(c.delta)}${c.kind === "pp" ? t("pp") : "%"}`;
}

function changeClass(c) { return !c || c.better === null ? "flat" : c.better ? "good" : "bad"; }

function card(data, id) {
  const v = data.kpis[id];
  const target = data.targets ? data.targets[id] : undefined;
  const met = data.met ? data.met[id] : undefined;
  const cls = met === true ? "met" : met === false ? "unmet" : "";
  const d = def(id);
  const bound = d && d.better === "higher" ? "≥" : "≤";
  const cmp = data.compare || {};
  const line = (k) => cmp[k] ? `<span class="cmp ${changeClass(cmp[k].change[id])}" data-cmp="${k}" ` +
    `title="${esc(cmp[k].from)} – ${esc(cmp[k].to)}: ${fmt(cmp[k].kpis[id])}">${t(k)} ${changeText(cmp[k].change[id])}</span>` : "";
  return `<div class="card ${cls}" data-kpi="${id}" data-met="${met === undefined || met === null ? "" : met}">` +
    `<div class="v">${fmt(v)}<small>${v === null ? "" : unit(id)}</small></div>` +
    `<div class="n">${esc(label(id))}</div>` +
    (target !== undefined ? `<div class="tg">${t("target")} ${bound} ${fmt(target)}${unit(id)}</div>` : "") +
    `<div class="cmps">${line("mom")}${line("yoy")}</div></div>`;
}

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
  $("cards").innerHTML = (WALL ? WALL_CARDS : CARDS).filter((id) => id in data.kpis).map((id) => card(data, id)).join("");
  $("room-use-explained").textContent = data.room_use ? data.room_use[state.lang] : "";
  $("partial-note").textContent = data.partial ? t("partial") : "";
  if (data.now) state.offset = new Date(data.now).getTime() - Date.now();  // the service's clock, for the wall
  if (WALL) tick();
  $("wall-name").textContent = name(data.scope);
  const head = `<tr><th>${t("name")}</th>` + COLUMNS.map((c) => `<th>${esc(label(c))}</th>`).join("") + "</tr>";
  $("children").querySelector("thead").innerHTML = data.children.length ? head : "";
  const body = $("children").querySelector("tbody");
  body.innerHTML = "";
  data.children.forEach((c) => {
    const tr = document.createElement("tr");
    tr.dataset.level = c.level; tr.dataset.key = c.key;
    tr.innerHTML = `<td>${esc(name(c))}</td>` + COLUMNS.map((k) => `<td>${fmt(c.kpis[k])}</td>`).join("");
    if (c.level !== "room" && c.level !== "doctor") {
      // this campus opens as the hospital (areas, departments...); another campus shows its own figures
      const next = c.level === "campus" && c.key === state.campus ? { level: "hospital", key: "" } : { level: c.level, key: c.key };
      tr.onclick = () => { state.trail.push({ ...next, name: name(c) }); load(); };
    }
    body.appendChild(tr);
  });
  renderRanking(data);
  renderSteps(data);
  const month = data.to.slice(0, 7);
  const dept = data.scope.level === "dept" ? data.scope.key : "";
  const q = `month=${month}&dept=${dept}`;
  $("pdca-link").href = `/cockpit/pdca?${q}`;
  $("xlsx-link").href = `/cockpit/export/pdca.xlsx?${q}`;
  $("csv-link").href = `/cockpit/export/pdca.csv?${q}`;
  if (!WALL && state.pdcaKey !== q && state.data === data) { state.pdcaKey = q; loadPdca(); }
  drawCharts(data);
}

function renderRanking(data) {
  const rows = data.ranking || [];
  $("ranking-box").hidden = !rows.length;
  const cols = ["wait_median", "wait_p90", "registrations", "missed_rate"];
  $("ranking").querySelector("thead").innerHTML = `<tr><th>${t("rank")}</th><th>${t("dept")}</th>` +
    cols.map((c) => `<th>${esc(label(c))}</th>`).join("") + "</tr>";
  $("ranking").querySelector("tbody").innerHTML = rows.map((r) => `<tr data-key="${esc(r.key)}"><td>${r.rank}</td>` +
    `<td>${esc(name(r))}</td>` + cols.map((c) => {
      const m = r.met[c];
      return `<td class="${m === true ? "met" : m === false ? "unmet" : ""}">${fmt(r.kpis[c])}</td>`;
    }).join("") + "</tr>").join("");
}

function renderSteps(data) {
  const steps = data.steps || [];
  const any = steps.some((s) => s.kpis[`${s.kind}_steps`] > 0) || data.kpis.journey_median !== null;
  $("journey").hidden = !steps.length || !any;
  const extra = { pharmacy: "dispense_median", lab: "lab_tat_median" };
  $("steps").querySelector("thead").innerHTML = `<tr><th>${t("step")}</th><th>${t("count")}</th><th>${t("wait_med")}</th>` +
    `<th>${t("wait_90")}</th><th>${t("turnaround")}</th></tr>`;
  // the wall lists the steps that had patients; the page lists every kind
  $("steps").querySelector("tbody").innerHTML = steps.filter((s) => !WALL || s.kpis[`${s.kind}_steps`] > 0).map((s) => {
    const k = s.kpis;
    return `<tr data-kind="${s.kind}"><td>${t(s.kind)}</td><td>${fmt(k[s.kind + "_steps"])}</td>` +
      `<td>${fmt(k[s.kind + "_wait_median"])}</td><td>${fmt(k[s.kind + "_wait_p90"])}</td>` +
      `<td>${extra[s.kind] ? fmt(k[extra[s.kind]]) : ""}</td></tr>`;
  }).join("") + `<tr data-kind="journey"><td>${t("whole")}</td><td></td><td>${fmt(data.kpis.journey_median)}</td>` +
    `<td>${fmt(data.kpis.journey_p90)}</td><td></td></tr>`;
}

function hourSeries(data, measure) {
  const rows = (data.hours && data.hours[measure]) || [];
  const by = {}; rows.forEach((r) => { by[r.hour] = r.mean; });
  return by;
}

function drawCharts(data) {
  const dark = WALL ? "dark" : null;
  trendChart = trendChart || echarts.init($("chart-trend"), dark, { renderer: "canvas" });
  channelChart = channelChart || echarts.init($("chart-channels"), dark, { renderer: "canvas" });
  hoursChart = hoursChart || echarts.init($("chart-hours"), dark, { renderer: "canvas" });
  stepsChart = stepsChart || echarts.init($("chart-steps"), dark, { renderer: "canvas" });
  const days = data.series.map((s) => s.day.slice(5));
  const fontSize = WALL ? 22 : 14;
  trendChart.setOption({
    animation: false, backgroundColor: "transparent",
    title: { text: t("trend"), left: 8, top: 4, textStyle: { fontSize } },
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
  const clinic = hourSeries(data, "wait");
  const hourList = [];
  HOURLY.forEach((m) => Object.keys(hourSeries(data, m)).forEach((h) => hourList.push(Number(h))));
  const lo = hourList.length ? Math.min(...hourList) : 7, hi = hourList.length ? Math.max(...hourList) : 17;
  const hoursAxis = []; for (let h = lo; h <= hi; h++) hoursAxis.push(h);
  const counts = {}; ((data.hours && data.hours.wait) || []).forEach((r) => { counts[r.hour] = r.n; });
  hoursChart.setOption({
    animation: false, backgroundColor: "transparent",
    title: { text: t("hours"), left: 8, top: 4, textStyle: { fontSize },
             subtext: Object.keys(clinic).length ? t("hours_sub") : (state.lang === "zh" ? "暂无数据" : "no data yet") },
    tooltip: { trigger: "axis" }, legend: { top: 28, right: 8 },
    grid: { left: 48, right: 48, top: 72, bottom: 30 },
    xAxis: { type: "category", data: hoursAxis.map((h) => `${String(h).padStart(2, "0")}:00`) },
    yAxis: [{ type: "value", name: state.lang === "zh" ? "分钟" : "min" }, { type: "value", name: t("count") }],
    series: [
      { name: t("count"), type: "bar", yAxisIndex: 1, data: hoursAxis.map((h) => counts[h] || 0), itemStyle: { color: "#c9dfee" } },
      { name: t("clinic_wait"), type: "line", data: hoursAxis.map((h) => clinic[h] ?? null), itemStyle: { color: "#0b5c8a" } },
    ],
  }, true);
  const stepLines = [["step_wait:pharmacy", "pharmacy", "#81b29a"], ["step_wait:lab", "lab", "#e07a5f"],
                     ["step_wait:imaging", "imaging", "#ffc857"], ["dispense", "dispense", "#3d405b"],
                     ["lab_tat", "lab_tat", "#9c6644"]];
  stepsChart.setOption({
    animation: false, backgroundColor: "transparent",
    title: { text: t("hours"), left: 8, top: 4, textStyle: { fontSize: WALL ? 18 : 12 }, subtext: t("hours_sub") },
    tooltip: { trigger: "axis" }, legend: { top: 28, right: 8 },
    grid: { left: 48, right: 24, top: 72, bottom: 30 },
    xAxis: { type: "category", data: hoursAxis.map((h) => `${String(h).padStart(2, "0")}:00`) },
    yAxis: { type: "value", name: state.lang === "zh" ? "分钟" : "min" },
    series: stepLines.map(([m, k, colour]) => {
      const by = hourSeries(data, m);
      return { name: t(k), type: "line", connectNulls: true, data: hoursAxis.map((h) => by[h] ?? null), itemStyle: { color: colour } };
    }),
  }, true);
  const channels = ["reg_kiosk", "reg_window", "reg_appointment", "reg_phone"];
  const colours = { reg_kiosk: "#0b5c8a", reg_window: "#ffc857", reg_appointment: "#81b29a", reg_phone: "#e07a5f" };
  const used = channels.filter((c) => data.kpis[c] > 0);  // no slice for a channel nobody used
  channelChart.setOption({
    animation: false, backgroundColor: "transparent",
    title: { text: t("channels"), left: 8, top: 4, textStyle: { fontSize },
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

// ------------------------------------------------------------------------------------------------ PDCA
function pdcaQuery() {
  const data = state.data;
  const month = (data ? data.to : new Date().toISOString()).slice(0, 7);
  const dept = data && data.scope.level === "dept" ? data.scope.key : "";
  return `month=${month}&dept=${dept}`;
}

async function loadPdca() {
  const r = await api("/cockpit/api/pdca?" + pdcaQuery());
  if (r.status !== 200) return;
  state.pdca = await r.json();
  renderPdca(state.pdca);
}

function doRow(a) {
  const tr = document.createElement("tr");
  tr.innerHTML = `<td><input type="date" name="do_date" value="${esc(a.date || "")}"></td>` +
    `<td><input name="do_action" value="${esc(a.action || "")}"></td><td><input name="do_by" value="${esc(a.by || "")}"></td>`;
  $("pdca-do").querySelector("tbody").appendChild(tr);
}

function renderPdca(p) {
  const rec = p.record || { plan: "", do: [], act: { decision: "", note: "" } };
  $("pdca-month").textContent = p.month;
  $("pdca-scope").textContent = name(p.scope);
  $("pdca-targets").innerHTML = p.rows.filter((r) => r.target !== null).map((r) =>
    `<li>${esc(state.lang === "zh" ? r.name_zh : r.name_en)}: ${t("target")} ${fmt(r.target)}</li>`).join("") ||
    `<li>${t("no_target")}</li>`;
  const form = $("pdca-form");
  if (document.activeElement === null || !form.contains(document.activeElement)) {
    form.plan.value = rec.plan || "";
    form.note.value = (rec.act && rec.act.note) || "";
    $("pdca-do").querySelector("tbody").innerHTML = "";
    (rec.do || []).forEach(doRow);
    doRow({ date: "", action: "", by: "" });
  }
  form.decision.innerHTML = Object.entries(DECISIONS[state.lang]).map(([k, v]) =>
    `<option value="${k}">${esc(v)}</option>`).join("");
  form.decision.value = (rec.act && rec.act.decision) || "";
  $("pdca-check").querySelector("tbody").innerHTML = p.rows.map((r) =>
    `<tr data-kpi="${r.kpi}" class="${r.met === true ? "met" : r.met === false ? "unmet" : ""}">` +
    `<td>${esc(state.lang === "zh" ? r.name_zh : r.name_en)}</td><td>${fmt(r.value)}</td>` +
    `<td>${r.met === null ? "" : r.met ? t("met") : t("unmet")}</td></tr>`).join("");
  $("pdca-saved").textContent = rec.updated_by ? `${t("saved")}${rec.updated_by} ${rec.updated_at}` : "";
}

async function savePdca(ev) {
  ev.preventDefault();
  const form = $("pdca-form");
  const rows = [...$("pdca-do").querySelectorAll("tbody tr")].map((tr) => ({
    date: tr.querySelector("[name=do_date]").value, action: tr.querySelector("[name=do_action]").value,
    by: tr.querySelector("[name=do_by]").value })).filter((a) => a.action.trim() || a.date);
  $("pdca-error").textContent = "";
  const r = await api("/cockpit/api/pdca?" + pdcaQuery(), { method: "PUT", body: JSON.stringify({
    plan: form.plan.value, do: rows, act: { decision: form.decision.value, note: form.note.value } }) });
  const data = await r.json();
  if (r.status !== 200) {
    $("pdca-error").textContent = state.lang === "zh" ? data.error.message_zh : data.error.message_en;
    return;
  }
  state.pdca = data;
  document.activeElement && document.activeElement.blur();
  renderPdca(data);
}

// ---------------------------------------------------------------------------------------------- what-if
async function loadOptions() {
  const q = new URLSearchParams();
  if ($("day").value) q.set("day", $("day").value);
  const r = await api("/cockpit/api/whatif/options?" + q);
  state.options = await r.json();
  renderOptions(state.options);
}

function renderOptions(o) {
  const form = $("whatif-form");
  const chosen = form.area.value;
  form.area.innerHTML = o.areas.map((a) => `<option value="${esc(a.id)}">${esc(name(a))}</option>`).join("");
  if (chosen && o.areas.some((a) => a.id === chosen)) form.area.value = chosen;
  const area = o.areas.find((a) => a.id === form.area.value) || o.areas[0];
  form.room_cap.innerHTML = `<option value="">${t("unchanged")} (${area ? area.room_cap : ""})</option>` +
    o.caps.map((c) => `<option value="${c}">${c}</option>`).join("");
  $("whatif-rooms").innerHTML = area ? area.rooms.map((r) =>
    `<label class="check"><input type="checkbox" name="open_rooms" value="${esc(r.id)}"${r.worked ? " disabled checked" : ""}>` +
    ` ${esc(name(r))}${r.worked ? ` <small>(${t("worked")})</small>` : ""}</label>`).join("") : "";
  form.new_rooms.innerHTML = o.new_rooms.map((n) => `<option value="${n}">${n}</option>`).join("");
  for (const s of ["am", "pm"]) {
    form[s].innerHTML = o.sessions[s].map((v, i) => `<option value="${i ? v : ""}">${v}${i ? "" : ` (${t("unchanged")})`}</option>`).join("");
  }
}

async function runWhatif(ev) {
  ev.preventDefault();
  const form = $("whatif-form");
  $("whatif-error").textContent = "";
  const open = [...form.querySelectorAll("input[name=open_rooms]:checked:not(:disabled)")].map((x) => x.value);
  const r = await api("/cockpit/api/simulate", { method: "POST", body: JSON.stringify({
    day: $("day").value, area: form.area.value, room_cap: form.room_cap.value ? Number(form.room_cap.value) : null,
    open_rooms: open, new_rooms: Number(form.new_rooms.value || 0), am: form.am.value, pm: form.pm.value }) });
  const data = await r.json();
  if (r.status !== 200) {
    $("whatif-table").hidden = true;
    $("whatif-error").textContent = state.lang === "zh" ? data.error.message_zh : data.error.message_en;
    return;
  }
  const cols = ["happened", "replayed as it was", "what-if"];
  $("whatif-table").querySelector("thead").innerHTML =
    `<tr><th>${t("measure")}</th><th>${t("happened")}</th><th>${t("replayed")}</th><th>${t("changed")}</th></tr>`;
  $("whatif-table").querySelector("tbody").innerHTML = data.rows.map((row) =>
    `<tr data-measure="${row.measure}"><td>${t(row.measure)}</td>` + cols.map((c) => `<td>${fmt(row[c])}</td>`).join("") + "</tr>").join("");
  $("whatif-table").hidden = false;
  $("whatif-note").textContent = t("room_use_note");
}

// ------------------------------------------------------------------------------------------------ wall
function tick() {
  const now = new Date(Date.now() + (state.offset || 0));
  $("clock").textContent = now.toLocaleString(state.lang === "zh" ? "zh-CN" : "en-GB",
    { month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

document.addEventListener("DOMContentLoaded", () => {
  if (WALL) {
    document.body.classList.add("wall");
    tick(); setInterval(tick, 1000);
    document.body.addEventListener("dblclick", () => {  // a double click goes full screen (browsers need a gesture)
      if (!document.fullscreenElement) document.documentElement.requestFullscreen().catch(() => {});
    });
  }
  applyLanguage();
  $("lang").onclick = () => { state.lang = state.lang === "zh" ? "en" : "zh"; localStorage.setItem("cockpit-lang", state.lang); applyLanguage(); };
  $("wall").onclick = () => { window.open("/cockpit/?wall=1", "cockpit-wall"); };
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
  $("day").onchange = () => { state.day = $("day").value || null; load(); loadOptions(); };
  $("whatif-form").onsubmit = runWhatif;
  $("whatif-form").area.onchange = () => state.options && renderOptions(state.options);
  $("pdca-form").onsubmit = savePdca;
  $("pdca-add").onclick = () => doRow({ date: "", action: "", by: "" });
  window.addEventListener("resize", () => [trendChart, channelChart, hoursChart, stepsChart].forEach((c) => c && c.resize()));
  start();
});
