// Enhancements only: the pages work without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".meter span[data-pct]").forEach((el) => { el.style.width = el.dataset.pct + "%"; });

  document.querySelectorAll(".cmd").forEach((box) => {
    const button = box.querySelector(".copy");
    const code = box.querySelector("code");
    if (!button || !code || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", () => {
      navigator.clipboard.writeText(code.textContent).then(() => { button.textContent = "Copied"; });
    });
  });

  // Sortable tables: click a header to sort by that column.
  document.querySelectorAll("table.sortable th").forEach((th, index) => {
    th.addEventListener("click", () => {
      const body = th.closest("table").querySelector("tbody");
      const rows = Array.from(body.rows);
      const num = (v) => parseFloat(v.replace(/[^0-9.\-]/g, ""));
      const asc = th.dataset.asc !== "1";
      rows.sort((a, b) => {
        const x = a.cells[index].textContent.trim(), y = b.cells[index].textContent.trim();
        const nx = num(x), ny = num(y);
        const c = !isNaN(nx) && !isNaN(ny) ? nx - ny : x.localeCompare(y);
        return asc ? c : -c;
      });
      th.dataset.asc = asc ? "1" : "0";
      rows.forEach((r) => body.appendChild(r));
    });
  });

  // "See how fast it feels": type sample answers at the predicted speed, after the predicted wait.
  const chat = document.querySelector(".chat");
  if (chat) {
    const decode = parseFloat(chat.dataset.decode), ttft = parseFloat(chat.dataset.ttft), cold = parseFloat(chat.dataset.cold);
    const samples = {
      cold: "def quicksort(arr):\n    if len(arr) <= 1:\n        return arr\n    pivot = arr[len(arr) // 2]\n    return quicksort([x for x in arr if x < pivot]) + [x for x in arr if x == pivot] + quicksort([x for x in arr if x > pivot])",
      warm: "def quicksort(arr: list[int]) -> list[int]:\n    \"\"\"Sort a list with quicksort and return a new list.\"\"\"\n    ...",
    };
    const replay = chat.querySelector(".replay");
    let timers = [];
    const run = () => {
      timers.forEach(clearTimeout); timers = [];
      if (!(decode > 0)) return;
      let start = 0;
      chat.querySelectorAll(".answer-text").forEach((el) => {
        const words = samples[el.dataset.kind].split(/(\s+)/);
        const wait = (el.dataset.kind === "cold" ? cold : ttft) * 1000;
        el.textContent = "…";
        const perToken = 1000 / decode;  // about one token per word piece
        words.forEach((w, i) => timers.push(setTimeout(() => {
          el.textContent = (i === 0 ? "" : el.textContent) + w;
        }, start + wait + i * perToken)));
        start += wait + words.length * perToken + 300;
      });
    };
    if (replay) { replay.hidden = false; replay.addEventListener("click", run); }
    run();
  }
});
