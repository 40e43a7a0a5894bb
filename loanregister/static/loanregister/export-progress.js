// The register's export links with progress (issue 9): the file is fetched as a stream and its progress shown
// (bytes received, and rows for a CSV) once it takes more than a moment; then saved under the server's name.
// Without fetch streams the links work as plain downloads; a refused export (not 200) opens its page as before.
(function () {
  "use strict";
  var nav = document.querySelector("nav.exports[data-progress]");
  if (!nav || !window.fetch || !window.ReadableStream || !window.URL || !URL.createObjectURL) return;
  var status = document.getElementById("export-progress");
  var texts = nav.dataset;

  function size(bytes) {
    var mb = bytes / 1048576;
    return (mb >= 10 ? mb.toFixed(0) : mb.toFixed(1)).replace(".", texts.decimal || ".") + " MB";
  }
  function say(template, values) {
    status.textContent = template.replace(/%\((\w+)\)s/g, function (_m, key) { return values[key]; });
    status.hidden = false;
  }
  function fileName(response) {
    var header = response.headers.get("Content-Disposition") || "";
    var match = /filename="([^"]+)"/.exec(header);
    return match ? match[1] : "export";
  }

  nav.addEventListener("click", function (event) {
    var link = event.target.closest("a.button[href]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || link.dataset.busy) return;
    event.preventDefault();
    link.dataset.busy = "1";
    var started = Date.now(), received = 0, rows = 0, csv = /format=csv/.test(link.href);
    var shown = false;
    var timer = window.setInterval(function () {
      var seconds = Math.round((Date.now() - started) / 1000);
      if (seconds < 2 && !shown) return;
      shown = true;
      say(csv ? texts.progressCsv : texts.progress, { size: size(received), rows: rows.toLocaleString(), seconds: seconds });
    }, 500);
    function done() { window.clearInterval(timer); delete link.dataset.busy; }
    fetch(link.href, { credentials: "same-origin" }).then(function (response) {
      if (response.status !== 200 || !response.body) { done(); window.location.href = link.href; return null; }
      var reader = response.body.getReader(), parts = [];
      function pump() {
        return reader.read().then(function (step) {
          if (step.done) return new Blob(parts, { type: response.headers.get("Content-Type") || "" });
          parts.push(step.value);
          received += step.value.length;
          if (csv) { for (var i = 0; i < step.value.length; i++) if (step.value[i] === 10) rows++; }
          return pump();
        });
      }
      return pump().then(function (blob) {
        var url = URL.createObjectURL(blob), save = document.createElement("a");
        save.href = url; save.download = fileName(response);
        document.body.appendChild(save); save.click(); save.remove();
        window.setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
        done();
        if (shown) say(texts.finished, { size: size(received), seconds: Math.round((Date.now() - started) / 1000) });
      });
    }).catch(function () { done(); say(texts.failed, {}); });
  });
})();
