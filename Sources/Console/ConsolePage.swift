/// The console's one page: HTML, CSS and script kept here, served by the binary itself (no CDN,
/// no build step; it works with no network beyond the station). The script only listens
/// (Server-Sent Events) and posts the operator's actions; it never polls.
enum ConsolePage {
    static let html = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>provision console</title>
        <link rel="icon" href="data:,">
        <link rel="stylesheet" href="/console.css">
        </head>
        <body>
        <header>
          <h1 id="title">provision console</h1>
          <span id="link" class="link" data-live="no">connecting…</span>
          <span id="intake" class="intake" hidden>NOT TAKING BOARDS</span>
          <form id="actions" hidden>
            <label>Token <input id="token" type="password" autocomplete="off" size="12"></label>
            <button id="stop" type="button">Stop taking boards</button>
          </form>
          <span id="message" role="status"></span>
        </header>
        <section id="counters" aria-label="counters">
          <div><b id="c-boards">0</b><span>boards</span></div>
          <div class="ok"><b id="c-passed">0</b><span>passed</span></div>
          <div class="bad"><b id="c-failed">0</b><span>failed</span></div>
          <div><b id="c-yield">–</b><span>yield</span></div>
          <div><b id="c-now">0</b><span>boards/h now</span></div>
          <div><b id="c-batch">0</b><span>boards/h batch</span></div>
        </section>
        <main id="tiles" aria-label="slots"></main>
        <section class="lower">
          <div><h2>Failures</h2><ol id="pareto"></ol></div>
          <div><h2>Last boards</h2>
            <table id="recent"><thead><tr><th>Slot</th><th>Result</th><th>Class</th><th>IMEI</th><th>Time</th></tr></thead>
            <tbody></tbody></table>
          </div>
        </section>
        <script src="/console.js"></script>
        </body>
        </html>
        """

    static let css = """
        :root { font-family: system-ui, sans-serif; color: #202124; background: #f8f9fa; }
        body { margin: 0; padding: 12px 18px; }
        header { display: flex; flex-wrap: wrap; align-items: center; gap: 16px; }
        h1 { font-size: 1.6rem; margin: 0; }
        h2 { font-size: 1.2rem; margin: 8px 0; }
        .link { padding: 2px 10px; border-radius: 10px; background: #fce8e6; color: #a50e0e; font-weight: 600; }
        .link[data-live="yes"] { background: #e6f4ea; color: #137333; }
        .intake { padding: 2px 10px; background: #f9ab00; font-weight: 700; }
        #message { color: #5f6368; }
        #counters { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }
        #counters div { background: #fff; border: 1px solid #dadce0; border-radius: 8px; padding: 6px 16px; min-width: 110px; }
        #counters b { display: block; font-size: 2.2rem; }
        #counters span { color: #5f6368; }
        #counters .ok b { color: #137333; }
        #counters .bad b { color: #a50e0e; }
        #tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 12px; }
        .tile { border-radius: 10px; padding: 10px 14px; background: #e8eaed; color: #202124; border: 3px solid transparent; }
        .tile .head { display: flex; justify-content: space-between; align-items: baseline; }
        .tile .label { font-size: 1.9rem; font-weight: 700; }
        .tile .path { font-size: 0.9rem; opacity: 0.8; }
        .tile .word { font-size: 2.4rem; font-weight: 800; margin: 4px 0; overflow-wrap: anywhere; }
        .tile .bar { height: 10px; background: rgba(255,255,255,0.35); border-radius: 5px; overflow: hidden; }
        .tile .bar span { display: block; height: 100%; width: 0; background: #fff; }
        .tile .activity, .tile .meta, .tile .scanned { font-size: 1rem; min-height: 1.2em; margin-top: 4px; }
        .tile .controls { display: flex; gap: 6px; margin-top: 8px; }
        .tile .controls input { flex: 1; min-width: 0; }
        .tile[data-held="yes"] { border-color: #f9ab00; }
        .tile[data-state="starting"], .tile[data-state="rebooting"] { background: #5f6368; color: #fff; }
        .tile[data-state="flashing"] { background: #1a73e8; color: #fff; }
        .tile[data-state="qa"] { background: #8430ce; color: #fff; }
        .tile[data-state="boot_check"] { background: #12828c; color: #fff; }
        .tile[data-state="pass"] { background: #1e8e3e; color: #fff; }
        .tile[data-state="fail"] { background: #d93025; color: #fff; }
        .tile[data-state="interrupted"] { background: #80868b; color: #fff; }
        .tile[data-state="held"] { background: #fde293; color: #202124; }
        .tile[data-state="waiting_operator"] { background: #e8710a; color: #fff; }
        .lower { display: grid; grid-template-columns: 1fr 2fr; gap: 24px; margin-top: 16px; }
        #pareto { padding-left: 0; list-style: none; }
        #pareto li { display: grid; grid-template-columns: 12em 1fr 3em; gap: 8px; align-items: center; margin: 4px 0; }
        #pareto .fill { height: 14px; background: #d93025; }
        table { border-collapse: collapse; width: 100%; background: #fff; }
        th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #dadce0; }
        td.pass { color: #137333; font-weight: 700; }
        td.fail { color: #a50e0e; font-weight: 700; }
        """

    static let js = """
        "use strict";
        // The console page: a snapshot on (re)connect, then the changes, all over one EventSource,
        // which reconnects by itself (the station sends retry:) when the station restarts.
        const byKey = new Map();
        let snapshot = { mode: "station", actions: false, words: {} };
        const $ = (id) => document.getElementById(id);
        const token = $("token");
        token.value = localStorage.getItem("provision-console-token") || "";
        token.addEventListener("change", () => localStorage.setItem("provision-console-token", token.value));
        $("actions").addEventListener("submit", (e) => e.preventDefault());

        function make(tag, className, parent) {
          const node = document.createElement(tag);
          if (className) node.className = className;
          if (parent) parent.appendChild(node);
          return node;
        }

        function say(text) { $("message").textContent = text; }

        async function act(path, body) {
          try {
            const answer = await fetch(path, {
              method: "POST",
              headers: { "Authorization": "Bearer " + token.value, "Content-Type": "application/json" },
              body: JSON.stringify(body || {}),
            });
            const reply = await answer.json();
            say(answer.ok ? "done: " + path.replace("/api/", "") : (reply.error || ("refused: " + answer.status)));
          } catch (error) {
            say("not sent: " + error.message);
          }
        }

        function tileFor(t) {
          const key = t.station + "/" + t.slot;
          let entry = byKey.get(key);
          if (entry) return entry;
          const root = make("div", "tile", $("tiles"));
          root.dataset.slot = t.slot;
          root.dataset.key = key;
          const head = make("div", "head", root);
          const label = make("span", "label", head);
          const path = make("span", "path", head);
          const word = make("div", "word", root);
          const bar = make("div", "bar", root);
          const fill = make("span", "", bar);
          const activity = make("div", "activity", root);
          const meta = make("div", "meta", root);
          const scanned = make("div", "scanned", root);
          const controls = make("div", "controls", root);
          controls.hidden = !snapshot.actions;
          const hold = make("button", "hold", controls);
          hold.type = "button";
          hold.addEventListener("click", () => act(entry.data.held ? "/api/release" : "/api/hold", { slot: t.slot }));
          const scan = make("input", "scan", controls);
          scan.placeholder = "scan label";
          scan.addEventListener("keydown", (e) => {
            if (e.key === "Enter" && scan.value.trim()) { act("/api/label", { slot: t.slot, label: scan.value.trim() }); scan.value = ""; }
          });
          entry = { root, label, path, word, fill, activity, meta, scanned, controls, hold, data: t };
          byKey.set(key, entry);
          return entry;
        }

        function seconds(t) {
          if (t.since == null) return "";
          const end = t.decidedAt != null ? t.decidedAt : Date.now();
          return Math.max(0, (end - t.since) / 1000).toFixed(0) + " s";
        }

        function render(t) {
          const e = tileFor(t);
          e.data = t;
          e.root.dataset.state = t.state;
          e.root.dataset.held = t.held ? "yes" : "no";
          e.label.textContent = (snapshot.mode === "line" ? t.station + " · " : "") + t.label;
          e.path.textContent = t.slot;
          const word = snapshot.words[t.state] || t.state;
          e.word.textContent = word + (t.state === "fail" && t.failureClass ? " " + t.failureClass : "");
          e.fill.style.width = t.total ? Math.min(100, 100 * t.done / t.total).toFixed(1) + "%" : "0";
          const last = t.lastResult ? "last board: " + (snapshot.words[t.lastResult] || t.lastResult) + (t.failureClass ? " " + t.failureClass : "") : "";
          e.activity.textContent = t.state === "held" ? last
            : (t.step || "") + (t.activity ? " · " + t.activity : "") + (t.held ? " · HOLD after this board" : "");
          e.meta.textContent = [seconds(t), t.imei ? "IMEI " + t.imei : "", t.boards + " board(s)"].filter(Boolean).join(" · ");
          e.scanned.textContent = t.scannedLabel ? "label " + t.scannedLabel : "";
          e.hold.textContent = t.held ? "Release" : "Hold";
          e.controls.hidden = !snapshot.actions;
        }

        function counters(c) {
          $("c-boards").textContent = c.boards;
          $("c-passed").textContent = c.passed;
          $("c-failed").textContent = c.failed;
          $("c-yield").textContent = c.yield == null ? "–" : c.yield.toFixed(1) + " %";
          $("c-now").textContent = c.perHourNow.toFixed(0);
          $("c-batch").textContent = c.perHourBatch.toFixed(0);
          const pareto = $("pareto");
          pareto.replaceChildren();
          const top = c.pareto.length ? c.pareto[0].count : 1;
          for (const bar of c.pareto) {
            const li = make("li", "", pareto);
            make("span", "", li).textContent = bar.failureClass;
            make("span", "fill", li).style.width = (100 * bar.count / top).toFixed(0) + "%";
            make("span", "", li).textContent = bar.count;
          }
          const body = $("recent").tBodies[0];
          body.replaceChildren();
          for (const b of c.recent) {
            const row = make("tr", "", body);
            const slot = make("td", "", row);
            const link = make("a", "", slot);
            link.href = "/board/" + encodeURIComponent(b.runID);
            link.textContent = (snapshot.mode === "line" ? b.station + " · " : "") + b.label;
            const status = make("td", b.status, row);
            status.textContent = (snapshot.words[b.status] || b.status);
            make("td", "", row).textContent = b.failureClass || "";
            make("td", "", row).textContent = b.imei || "";
            make("td", "", row).textContent = b.seconds == null ? "" : b.seconds.toFixed(1) + " s";
          }
        }

        function intake(taking) { $("intake").hidden = taking !== false; }

        function applySnapshot(s) {
          snapshot = s;
          document.title = s.title;
          $("title").textContent = s.title;
          $("actions").hidden = !s.actions;
          $("tiles").replaceChildren();
          byKey.clear();
          s.tiles.forEach(render);
          counters(s.counters);
          intake(s.takingBoards);
        }

        function applyUpdate(u) {
          u.tiles.forEach(render);
          if (u.counters) counters(u.counters);
          if (u.takingBoards != null) intake(u.takingBoards);
        }

        $("stop").addEventListener("click", () => {
          if (confirm("Stop taking boards? The boards in the slots finish, then the station stops.")) act("/api/stop");
        });

        const source = new EventSource("/events");
        source.addEventListener("snapshot", (e) => applySnapshot(JSON.parse(e.data)));
        source.addEventListener("update", (e) => applyUpdate(JSON.parse(e.data)));
        source.addEventListener("open", () => { $("link").dataset.live = "yes"; $("link").textContent = "live"; });
        source.addEventListener("error", () => { $("link").dataset.live = "no"; $("link").textContent = "reconnecting…"; });
        setInterval(() => byKey.forEach((e) => {
          if (e.data.since != null && e.data.decidedAt == null) render(e.data);
        }), 1000);
        """
}
