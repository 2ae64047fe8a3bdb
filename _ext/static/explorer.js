/* The website's explorers: sliders over a grid of gradient profiles computed
 * beforehand by the course library (reluprop.explorer_data), drawn with uPlot.
 * Several networks (draws) are stored per setting: a "new draw" button adds
 * the next one's curves, the earlier ones staying faint, so that the spread
 * of networks shows.
 *
 * Each <div class="rp-explorer" data-src="FILE.json" data-script="FILE.js">
 * on a page becomes one explorer; FILE.js, beside the page, assigns the data
 * to window.rpExplorerData["FILE.json"] (a script element, unlike fetch, also
 * loads it when the page was opened straight from disk). The file lists its controls; a control offering numbers becomes
 * a slider, one offering names a menu, so a data file with more controls
 * needs no change here. Moving a control looks the profile up and redraws:
 * nothing is computed in the browser but the decoding of the stored values.
 * Without JavaScript the container shows its <noscript> note and the page's
 * still figure remains.
 */
(function () {
  "use strict";

  const FORMAT = "reluprop-explorer/2";
  const SUPERSCRIPT = { "-": "\u207b", "0": "\u2070", "1": "\u00b9", "2": "\u00b2", "3": "\u00b3",
    "4": "\u2074", "5": "\u2075", "6": "\u2076", "7": "\u2077", "8": "\u2078", "9": "\u2079" };
  // What the reader sees for each stored quantity; a theory series is dashed in its quantity's colour.
  const QUANTITIES = {
    dr: { label: "\u2016\u2202C/\u2202r\u207d\u1d4f\u207e\u2016", colour: "--rp-explorer-dr" },
    dW: { label: "\u2016\u2202C/\u2202W\u207d\u1d4f\u207e\u2016", colour: "--rp-explorer-dw" },
  };

  function powerOfTen(exponent) {
    return "10" + String(exponent).split("").map((c) => SUPERSCRIPT[c] || c).join("");
  }

  function formatValue(v) {
    return typeof v === "number" ? String(v) : v;
  }

  /* Stored series are log10 values as integers (times 10^decimals), each the
   * difference from the previous finite entry; null where nothing is finite. */
  function decode(encoded, decimals) {
    const unit = Math.pow(10, decimals);
    let last = 0;
    return encoded.map((e) => (e === null ? null : (last += e) / unit));
  }

  /* A #rrggbb colour at the given opacity (other colours unchanged). */
  function fade(colour, alpha) {
    if (alpha === undefined || alpha >= 1 || !/^#[0-9a-fA-F]{6}$/.test(colour)) return colour;
    return colour + Math.round(alpha * 255).toString(16).padStart(2, "0");
  }

  function cssValue(element, name, fallback) {
    const v = getComputedStyle(element).getPropertyValue(name).trim();
    return v || fallback;
  }

  class Explorer {
    constructor(root, data) {
      if (data.format !== FORMAT) throw new Error("unknown explorer data format " + data.format);
      this.root = root;
      this.data = data;
      this.controls = data.controls;
      this.strides = [];
      let stride = 1;
      for (let j = this.controls.length - 1; j >= 0; j--) {
        this.strides[j] = stride;
        stride *= this.controls[j].values.length;
      }
      if (stride !== data.profiles.length) {
        throw new Error("explorer data holds " + data.profiles.length + " profiles, controls need " + stride);
      }
      this.depthControl = this.controls.findIndex((c) => c.name === "depth");
      this.positions = this.controls.map((c) => Math.max(0, c.values.indexOf(c.initial)));
      this.draws = data.draws.length;
      this.perDraw = new Set(data.per_draw);
      this.shown = 1;  // how many draws are drawn: the first `shown` of data.draws
      this.build();
      this.update();
    }

    build() {
      const root = this.root;
      const id = root.id || "rp-explorer";
      root.textContent = "";
      const form = document.createElement("div");
      form.className = "rp-explorer-controls";
      this.inputs = this.controls.map((c, j) => {
        const row = document.createElement("div");
        row.className = "rp-explorer-control";
        const label = document.createElement("label");
        const inputId = id + "-" + c.name;
        label.htmlFor = inputId;
        label.textContent = c.label;
        row.appendChild(label);
        let input;
        const shown = document.createElement("output");
        shown.htmlFor = inputId;
        if (c.values.every((v) => typeof v === "number")) {
          input = document.createElement("input");
          input.type = "range";
          input.min = "0";
          input.max = String(c.values.length - 1);
          input.step = "1";
          input.value = String(this.positions[j]);
          input.addEventListener("input", () => this.set(j, Number(input.value)));
        } else {
          input = document.createElement("select");
          c.values.forEach((v, i) => {
            const option = document.createElement("option");
            option.value = String(i);
            option.textContent = c.labels ? c.labels[i] : formatValue(v);
            input.appendChild(option);
          });
          input.value = String(this.positions[j]);
          input.addEventListener("change", () => this.set(j, Number(input.value)));
          shown.hidden = true;
        }
        input.id = inputId;
        input.dataset.control = c.name;
        row.appendChild(input);
        row.appendChild(shown);
        form.appendChild(row);
        return { input, shown };
      });
      if (this.draws > 1) {
        const row = document.createElement("div");
        row.className = "rp-explorer-control";
        this.drawButton = document.createElement("button");
        this.drawButton.type = "button";
        this.drawButton.className = "rp-explorer-draw";
        this.drawButton.dataset.control = "draw";
        this.drawButton.addEventListener("click", () => this.newDraw());
        row.appendChild(this.drawButton);
        form.appendChild(row);
      }
      root.appendChild(form);

      this.plot = document.createElement("div");
      this.plot.className = "rp-explorer-plot";
      this.plot.setAttribute("role", "img");
      root.appendChild(this.plot);

      this.status = document.createElement("p");
      this.status.className = "rp-explorer-status";
      this.status.setAttribute("aria-live", "polite");
      root.appendChild(this.status);
      this.makeChart();
    }

    /* The chart's series ("slots"): per quantity, its newest draw (full), the
     * earlier draws (thin and faint; one legend entry for all of them) and the
     * theory (dashed). */
    slotList() {
      const slots = [];
      for (const key of this.data.series) {
        if (this.perDraw.has(key)) {
          // the earlier draws first, so that the newest is drawn over them
          for (let d = 0; d < this.draws - 1; d++) slots.push({ key, draw: d });
          slots.push({ key, draw: "newest" });
        } else {
          slots.push({ key, draw: null });
        }
      }
      return slots;
    }

    seriesOptions() {
      return this.slots.map(({ key, draw }) => {
        const theory = draw === null;
        const base = key.endsWith("_theory") ? key.slice(0, -"_theory".length) : key;
        const q = QUANTITIES[base] || { label: base, colour: "--rp-explorer-other" };
        const earlier = typeof draw === "number";
        return {
          label: q.label + (theory ? " theory" : earlier ? " other draws" : " measured"),
          stroke: cssValue(this.root, q.colour, "#0072B2"),
          width: theory ? 1.3 : earlier ? 1 : 1.8,
          alpha: earlier ? 0.45 : 1,
          dash: theory ? [7, 5] : undefined,
          spanGaps: false,
          points: { show: earlier ? false : (u, si, i0, i1) => i1 - i0 <= 40, size: 5 },
          value: (u, v) => (v === null || v === undefined ? "\u2014" : v.toFixed(2)),
        };
      });
    }

    makeChart() {
      if (this.chart) this.chart.destroy();
      const text = cssValue(this.root, "--rp-explorer-text", "#222");
      const grid = cssValue(this.root, "--rp-explorer-grid", "rgba(0,0,0,0.12)");
      const axis = {
        stroke: text,
        grid: { stroke: grid, width: 1 },
        ticks: { stroke: grid, width: 1 },
        font: "12px sans-serif",
        labelFont: "13px sans-serif",
      };
      const self = this;
      this.slots = this.slotList();
      this.chart = new uPlot({
        width: this.width(),
        height: 360,
        scales: {
          x: { time: false },
          y: { range: () => self.yRange },
        },
        legend: {
          show: true,
          live: false,
          // a filled marker for a measured series, a dashed outline for a theory
          markers: {
            width: 2,
            dash: (u, i) => (self.isTheory(i) ? "dashed" : "solid"),
            // the other draws' marker as faint as their lines
            fill: (u, i) => (i > 0 && !self.isTheory(i) ? fade(u.series[i].stroke(u, i), u.series[i].alpha) : "transparent"),
          },
        },
        cursor: { show: true, points: { show: false }, drag: { x: false, y: false } },
        series: [{ label: "layer k" }, ...this.seriesOptions()],
        axes: [
          Object.assign({}, axis, { label: "layer k" }),
          Object.assign({}, axis, {
            label: "norm (log scale)",
            size: 70,
            // ticks at whole powers of ten, labelled 10ⁿ
            incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
            values: (u, ticks) => ticks.map((t) => powerOfTen(Math.round(t))),
          }),
        ],
      }, [[0], ...this.slots.map(() => [null])], this.plot);
      // uPlot's legend table lists the series; it is a description, not data to navigate.
      const legend = this.plot.querySelector(".u-legend");
      if (legend) {
        legend.setAttribute("role", "presentation");
        // one row per series; uPlot leaves out the x series' row when the legend is not live
        const rows = [...legend.querySelectorAll(".u-series")];
        this.legendRows = rows.slice(rows.length - this.slots.length);
      }
    }

    isTheory(seriesIndex) {
      return seriesIndex > 0 && this.slots[seriesIndex - 1].draw === null;
    }

    width() {
      return Math.max(280, Math.min(760, this.root.clientWidth || 640));
    }

    /* Only a new width redraws: the root's height also changes when the status line wraps. */
    resize() {
      const width = this.width();
      if (this.chart && width !== this.chart.width) this.chart.setSize({ width, height: 360 });
    }

    set(j, position) {
      this.positions[j] = position;
      this.update();
    }

    /* The next draw's curves join the chart; after the last, back to the first draw alone. */
    newDraw() {
      this.shown = this.shown < this.draws ? this.shown + 1 : 1;
      this.update();
    }

    value(name) {
      const j = this.controls.findIndex((c) => c.name === name);
      return j < 0 ? undefined : this.controls[j].values[this.positions[j]];
    }

    update() {
      const start = performance.now();
      let index = 0;
      this.controls.forEach((c, j) => {
        index += this.positions[j] * this.strides[j];
        const { input, shown } = this.inputs[j];
        const v = formatValue(c.values[this.positions[j]]);
        shown.textContent = v;
        if (input.type === "range") input.setAttribute("aria-valuetext", c.label + " " + v);
      });
      const record = this.data.profiles[index];
      const layers = this.data.layers[this.positions[this.depthControl]];
      const decimals = this.data.decimals;
      const newest = this.shown - 1;
      const empty = layers.map(() => null);
      const ys = this.slots.map(({ key, draw }) => {
        if (draw === null) return decode(record[key], decimals);
        const d = draw === "newest" ? newest : draw;
        return d < newest || draw === "newest" ? decode(record[key][d], decimals) : empty;
      });
      let lo = Infinity, hi = -Infinity;
      for (const y of ys) for (const v of y) if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      if (lo > hi) { lo = -1; hi = 1; }
      const pad = Math.max(0.5, 0.12 * (hi - lo), 1 - (hi - lo) / 2);  // at least two decades, as the figures
      this.yRange = [lo - pad, hi + pad];
      this.chart.setData([layers, ...ys]);
      // one legend entry stands for all the earlier draws, and only while there are some
      if (this.legendRows) {
        this.slots.forEach(({ draw }, i) => {
          if (typeof draw === "number" && this.legendRows[i]) {
            this.legendRows[i].style.display = draw > 0 || newest === 0 ? "none" : "";
          }
        });
      }
      this.index = index;
      const settings = this.controls.map((c, j) =>
        c.label + " " + (c.labels ? c.labels[this.positions[j]] : formatValue(c.values[this.positions[j]])));
      // the input layer's ||dC/dr|| of every draw shown: their spread is the lottery
      const firstKey = this.data.per_draw[0];
      const atInput = [];
      for (let d = 0; d <= newest; d++) {
        const v = decode(record[firstKey][d], decimals)[0];
        if (v !== null) atInput.push(v);
      }
      const seeds = this.data.draws.slice(0, this.shown);
      const who = this.shown === 1 ? "1 network (seed " + seeds[0] + ")"
        : this.shown + " networks (seeds " + seeds.join(", ") + ")";
      let spread = "";
      if (this.shown > 1 && atInput.length > 1) {
        const a = Math.min(...atInput), b = Math.max(...atInput);
        const minus = (x) => x.toFixed(2).replace("-", "\u2212");
        spread = ": log10 " + QUANTITIES.dr.label.replace("\u1d4f", "\u2070") + " from " + minus(a) + " to " +
          minus(b) + ", a spread of " + (b - a).toFixed(2) + " (a factor " + Number(Math.pow(10, b - a).toPrecision(3)) + ")";
      }
      if (this.shown > atInput.length && this.shown > 1) {
        spread += "; " + (this.shown - atInput.length) + " overflowed or underflowed at layer 0";
      }
      const mainSeries = ys[this.slots.findIndex((slot) => slot.key === firstKey && slot.draw === "newest")];
      const first = mainSeries.find((v) => v !== null);
      const last = [...mainSeries].reverse().find((v) => v !== null);
      let summary = "Gradient norms against the layer k, log scale; " + settings.join(", ") + "; " + who + ".";
      if (first !== undefined) {
        summary += " Measured " + QUANTITIES.dr.label + " of the newest network: about " +
          powerOfTen(Math.round(first)) + " at layer 0 and " + powerOfTen(Math.round(last)) + " at layer " +
          layers[layers.length - 1] + ".";
      }
      this.plot.setAttribute("aria-label", summary);
      const more = this.shown > 1 ? " The newest is drawn in full, the others faint." : "";
      this.status.textContent = who + spread + "." + more + " Newest: " +
        this.data.statuses[record.status[newest]];
      if (this.drawButton) {
        this.drawButton.textContent = this.shown < this.draws
          ? "new draw: add network " + (this.shown + 1) + " of " + this.draws : "back to one draw";
      }
      this.root.dataset.profile = String(index);
      this.root.dataset.shown = String(this.shown);
      this.root.dataset.updateMs = (performance.now() - start).toFixed(2);
    }
  }

  function loadData(root) {
    const key = root.getAttribute("data-src");
    const store = (window.rpExplorerData = window.rpExplorerData || {});
    if (store[key]) return Promise.resolve(store[key]);
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = root.getAttribute("data-script");
      script.onload = () => (store[key] ? resolve(store[key]) : reject(new Error(script.src + " holds no " + key)));
      script.onerror = () => reject(new Error("cannot load " + script.src));
      document.head.appendChild(script);
    });
  }

  function start(root) {
    loadData(root)
      .then((data) => {
        const explorer = new Explorer(root, data);
        root.rpExplorer = explorer;
        root.classList.add("rp-explorer-ready");
        new ResizeObserver(() => explorer.resize()).observe(root);
        // The theme's light/dark switch changes the colours the chart reads.
        new MutationObserver(() => { explorer.makeChart(); explorer.update(); })
          .observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
      })
      .catch((error) => {
        root.textContent = "The explorer could not start: " + error.message + ".";
        root.classList.add("rp-explorer-failed");
      });
  }

  function init() {
    if (typeof uPlot === "undefined") return;
    document.querySelectorAll(".rp-explorer[data-src][data-script]").forEach(start);
  }

  // Starts an explorer in a container added later (the tests use it with data of more controls).
  window.rpExplorers = { start: start };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
