// The latent explorer of notebook 05's page: the course's 2-D VAE decoder, run in the page.
// Weights: vae2d-decoder.bin beside this script (written by tools/build_site.py, format in its
// export_decoder). Every <div class="vae-explorer"> becomes a plane of codes with a point to
// drag, two sliders and the decoded digit. No kernel, no server, no framework.
(function () {
  "use strict";
  var script = document.currentScript;
  var weightsUrl = new URL("vae2d-decoder.bin", script ? script.src : document.baseURI).href;
  var COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]; // matplotlib tab10

  function parse(buffer) {
    var view = new DataView(buffer);
    var magic = String.fromCharCode.apply(null, new Uint8Array(buffer, 0, 4));
    if (magic !== "VAED") throw new Error("not a decoder file");
    var n = view.getUint32(4, true);
    var header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 8, n)));
    var offset = 8 + n, arrays = {};
    header.arrays.forEach(function (spec) {
      var count = spec.shape.reduce(function (a, b) { return a * b; }, 1);
      arrays[spec.name] = new Float32Array(buffer.slice(offset, offset + 4 * count));
      offset += 4 * count;
    });
    var layers = header.layers.map(function (l, i) {
      return {n_in: l.in, n_out: l.out, act: l.activation, w: arrays["w" + i], b: arrays["b" + i]};
    });
    return {header: header, layers: layers, codes: arrays.codes, labels: arrays.labels};
  }

  // z = [z1, z2] -> Float32Array of 784 pixels in [0, 1] (1 = ink): Linear, ReLU, ..., sigmoid.
  function decode(model, z) {
    var h = Float64Array.from(z);
    model.layers.forEach(function (layer) {
      var out = new Float64Array(layer.n_out), w = layer.w, n = layer.n_in;
      for (var o = 0; o < layer.n_out; o++) {
        var s = layer.b[o], row = o * n;
        for (var i = 0; i < n; i++) s += w[row + i] * h[i];
        out[o] = layer.act === "relu" ? (s > 0 ? s : 0) : 1 / (1 + Math.exp(-s));
      }
      h = out;
    });
    return Float32Array.from(h);
  }

  function el(tag, attrs, parent) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(e);
    return e;
  }

  function build(box, model) {
    var lim = parseFloat(box.dataset.lim || "4"), side = 260, digitSide = 196;
    var z = [parseFloat(box.dataset.z1 || "0"), parseFloat(box.dataset.z2 || "0")];
    box.innerHTML = "";
    var plane = el("canvas", {"class": "vae-explorer-plane", tabindex: "0", role: "slider",
                              "aria-label": "latent code: drag the point, or use the arrow keys"}, box);
    var right = el("div", {"class": "vae-explorer-side"}, box);
    var digit = el("canvas", {"class": "vae-explorer-digit", width: "28", height: "28",
                              "aria-label": "decoded digit"}, right);
    var sliders = [0, 1].map(function (d) {
      var row = el("label", {"class": "vae-explorer-slider"}, right);
      row.appendChild(document.createTextNode("z" + (d + 1) + " "));
      var input = el("input", {type: "range", min: String(-lim), max: String(lim), step: "0.01",
                               "aria-label": "z" + (d + 1)}, row);
      var value = el("output", {}, row);
      input.addEventListener("input", function () { z[d] = parseFloat(input.value); update(); });
      return {input: input, value: value};
    });
    var ratio = window.devicePixelRatio || 1;
    plane.width = side * ratio; plane.height = side * ratio;
    plane.style.width = side + "px"; plane.style.height = side + "px";
    digit.style.width = digitSide + "px"; digit.style.height = digitSide + "px";
    var ctx = plane.getContext("2d"), dctx = digit.getContext("2d");
    var image = dctx.createImageData(28, 28);

    function toPx(v) { return (v + lim) / (2 * lim) * side; }
    function fromPx(p) { return p / side * 2 * lim - lim; }
    function clip(v) { return Math.max(-lim, Math.min(lim, v)); }

    var background = document.createElement("canvas");
    background.width = plane.width; background.height = plane.height;
    (function drawBackground() {
      var b = background.getContext("2d");
      b.scale(ratio, ratio);
      b.fillStyle = "#fff"; b.fillRect(0, 0, side, side);
      b.strokeStyle = "#ddd"; b.lineWidth = 1;
      for (var t = -Math.floor(lim); t <= lim; t++) {
        b.beginPath(); b.moveTo(toPx(t), 0); b.lineTo(toPx(t), side); b.stroke();
        b.beginPath(); b.moveTo(0, side - toPx(t)); b.lineTo(side, side - toPx(t)); b.stroke();
      }
      b.strokeStyle = "#999";
      b.beginPath(); b.moveTo(toPx(0), 0); b.lineTo(toPx(0), side); b.stroke();
      b.beginPath(); b.moveTo(0, toPx(0)); b.lineTo(side, toPx(0)); b.stroke();
      b.globalAlpha = 0.6;
      for (var i = 0; model.codes && i < model.codes.length / 2; i++) {
        b.fillStyle = COLORS[model.labels[i] % 10];
        b.fillRect(toPx(model.codes[2 * i]) - 1.2, side - toPx(model.codes[2 * i + 1]) - 1.2, 2.4, 2.4);
      }
      b.globalAlpha = 1; b.fillStyle = "#555"; b.font = "11px sans-serif";
      b.fillText("z1", side - 16, toPx(0) - 4); b.fillText("z2", toPx(0) + 4, 12);
    })();

    function update() {
      z = [clip(z[0]), clip(z[1])];
      var pixels = decode(model, z);
      for (var i = 0; i < pixels.length; i++) {
        var grey = Math.round(255 * (1 - pixels[i]));
        image.data[4 * i] = image.data[4 * i + 1] = image.data[4 * i + 2] = grey;
        image.data[4 * i + 3] = 255;
      }
      dctx.putImageData(image, 0, 0);
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.drawImage(background, 0, 0);
      ctx.scale(ratio, ratio);
      var x = toPx(z[0]), y = side - toPx(z[1]);
      ctx.strokeStyle = "#000"; ctx.lineWidth = 2;
      ctx.beginPath(); ctx.arc(x, y, 6, 0, 2 * Math.PI); ctx.stroke();
      ctx.beginPath(); ctx.moveTo(x - 10, y); ctx.lineTo(x + 10, y);
      ctx.moveTo(x, y - 10); ctx.lineTo(x, y + 10); ctx.stroke();
      sliders.forEach(function (s, d) {
        s.input.value = String(z[d]); s.value.textContent = z[d].toFixed(2);
      });
      plane.setAttribute("aria-valuetext", "z = (" + z[0].toFixed(2) + ", " + z[1].toFixed(2) + ")");
      box.dataset.z = z[0].toFixed(4) + "," + z[1].toFixed(4);
      box.pixels = pixels;
    }

    var dragging = false;
    function moveTo(event) {
      var r = plane.getBoundingClientRect();
      z = [fromPx(event.clientX - r.left), fromPx(side - (event.clientY - r.top))];
      update();
    }
    plane.addEventListener("pointerdown", function (e) {
      dragging = true; plane.setPointerCapture(e.pointerId); moveTo(e); e.preventDefault();
    });
    plane.addEventListener("pointermove", function (e) { if (dragging) moveTo(e); });
    plane.addEventListener("pointerup", function () { dragging = false; });
    plane.addEventListener("pointercancel", function () { dragging = false; });
    plane.addEventListener("keydown", function (e) {
      var step = e.shiftKey ? 0.5 : 0.1, moves = {ArrowLeft: [-step, 0], ArrowRight: [step, 0],
                                                  ArrowUp: [0, step], ArrowDown: [0, -step]};
      if (!moves[e.key]) return;
      z = [z[0] + moves[e.key][0], z[1] + moves[e.key][1]];
      update(); e.preventDefault();
    });
    update();
    box.classList.add("vae-explorer-ready");
  }

  var loaded = null;
  function load() {
    if (!loaded) {
      loaded = fetch(weightsUrl).then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status + " for " + weightsUrl);
        return r.arrayBuffer();
      }).then(parse);
    }
    return loaded;
  }

  // For tests and the curious: vaeDecoder.decode([z1, z2]) -> 784 pixels in [0, 1].
  window.vaeDecoder = {
    ready: function () { return load(); },
    decode: function (z) { return load().then(function (m) { return Array.from(decode(m, z)); }); },
  };

  function start() {
    var boxes = document.querySelectorAll("div.vae-explorer");
    if (!boxes.length) return;
    load().then(function (model) {
      boxes.forEach(function (box) { build(box, model); });
    }).catch(function (err) {
      boxes.forEach(function (box) {
        box.classList.add("vae-explorer-error");
        box.textContent = "The in-page decoder could not load its weights (" + err.message +
          "). Open the page through a web server, not as a file.";
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
