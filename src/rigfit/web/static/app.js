// Enhancements only: every page works without JavaScript (links and GET forms carry the state in the URL).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Copy buttons next to commands and the embed snippet.
  document.querySelectorAll(".cmd").forEach((box) => {
    const button = box.querySelector(".copy");
    const code = box.querySelector("code");
    if (!button || !code) return;
    button.hidden = false;
    button.addEventListener("click", () => {
      const done = () => { button.textContent = "Copied"; setTimeout(() => { button.textContent = "Copy"; }, 1500); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(code.textContent).then(done, () => selectText(code));
      } else {
        selectText(code);
        try { document.execCommand("copy"); done(); } catch (e) { /* the text stays selected */ }
      }
    });
  });

  function selectText(el) {
    const range = document.createRange();
    range.selectNodeContents(el);
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  // Sortable tables: click a header to sort by that column (cells may carry data-sort for the sort key).
  document.querySelectorAll("table.sortable").forEach((table) => {
    table.querySelectorAll("th").forEach((th, index) => {
      th.addEventListener("click", (event) => {
        event.preventDefault();
        const body = table.tBodies[0];
        const rows = Array.from(body.rows);
        const key = (row) => {
          const cell = row.cells[index];
          if (!cell) return "";
          return cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent.trim();
        };
        const number = (v) => {
          const m = /^[~$]?\s*(-?\d[\d,]*(?:\.\d+)?)/.exec(v);
          return m ? parseFloat(m[1].replace(/,/g, "")) : NaN;
        };
        const asc = th.dataset.asc !== "1";
        rows.sort((a, b) => {
          const x = key(a), y = key(b);
          const nx = number(x), ny = number(y);
          let c;
          if (!isNaN(nx) && !isNaN(ny)) c = nx - ny;
          else if (!isNaN(nx)) c = -1;
          else if (!isNaN(ny)) c = 1;
          else c = x.localeCompare(y);
          return asc ? c : -c;
        });
        table.querySelectorAll("th").forEach((other) => { delete other.dataset.asc; other.removeAttribute("aria-sort"); });
        th.dataset.asc = asc ? "1" : "0";
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        rows.forEach((r) => body.appendChild(r));
      });
    });
  });

  // "See how fast it feels": wait the predicted time to first token (cold for the first prompt, warm for the
  // second), then type a sample answer at the predicted decode speed.
  const chat = document.querySelector(".chat");
  if (chat) {
    const decode = parseFloat(chat.dataset.decode);
    const ttft = parseFloat(chat.dataset.ttft);
    const cold = parseFloat(chat.dataset.cold);
    const samples = {
      cold: "Here's a Python function that sorts a list using quicksort:\n\n" +
        "def quicksort(arr):\n    if len(arr) <= 1:\n        return arr\n    pivot = arr[len(arr) // 2]\n" +
        "    left = [x for x in arr if x < pivot]\n    middle = [x for x in arr if x == pivot]\n" +
        "    right = [x for x in arr if x > pivot]\n    return quicksort(left) + middle + quicksort(right)\n\n" +
        "print(quicksort([3, 6, 8, 10, 1, 2, 1]))  # [1, 1, 2, 3, 6, 8, 10]\n\n" +
        "It picks a pivot, splits the list into smaller, equal and larger elements, and sorts each part recursively.",
      warm: "def quicksort(arr: list[int]) -> list[int]:\n" +
        "    \"\"\"Sort a list using the quicksort algorithm.\n\n    Args:\n        arr: List of integers to sort.\n\n" +
        "    Returns:\n        A new sorted list.\n    \"\"\"\n    if len(arr) <= 1:\n        return arr\n" +
        "    pivot = arr[len(arr) // 2]\n    left = [x for x in arr if x < pivot]\n" +
        "    middle = [x for x in arr if x == pivot]\n    right = [x for x in arr if x > pivot]\n" +
        "    return quicksort(left) + middle + quicksort(right)\n\nAdded type hints and a Google-style docstring.",
    };
    // About 4 characters per token: split into token-sized pieces.
    const pieces = (text) => text.match(/[\s\S]{1,4}/g) || [];
    const replay = chat.querySelector(".replay");
    let timers = [];
    const run = () => {
      timers.forEach(clearTimeout);
      timers = [];
      if (!(decode > 0)) return;
      const perToken = 1000 / decode;
      let start = 0;
      chat.querySelectorAll(".answer-text").forEach((el) => {
        const kind = el.dataset.kind;
        const toks = pieces(samples[kind] || "");
        const wait = (kind === "cold" ? cold : ttft) * 1000;
        const t0 = start;
        timers.push(setTimeout(() => { el.textContent = "… waiting for the first token"; el.classList.add("waiting"); }, t0));
        // At most ~30 screen updates a second, so fast setups do not flood the timer queue.
        const step = Math.max(1, Math.round(33 / perToken));
        for (let i = 0; i < toks.length; i += step) {
          const upto = Math.min(toks.length, i + step);
          timers.push(setTimeout(() => {
            el.classList.remove("waiting");
            el.textContent = toks.slice(0, upto).join("");
          }, t0 + wait + upto * perToken));
        }
        start = t0 + wait + toks.length * perToken + 600;
      });
    };
    if (replay) {
      replay.hidden = false;
      replay.addEventListener("click", run);
    }
    run();
  }
});
