// Sortable tables (click a header; numbers sort by their data-value) and the evidence filter.
(function () {
  "use strict";
  function cellValue(row, index, numeric) {
    var cell = row.cells[index];
    var raw = cell.hasAttribute("data-value") ? cell.getAttribute("data-value") : cell.textContent;
    if (numeric) {
      var number = parseFloat(raw);
      return isNaN(number) ? -Infinity : number;
    }
    return raw.toLowerCase();
  }
  function sortBy(table, header, index) {
    var numeric = header.getAttribute("data-type") === "number";
    var ascending = !header.classList.contains("asc");
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) { th.classList.remove("asc", "desc"); });
    header.classList.add(ascending ? "asc" : "desc");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a, index, numeric), y = cellValue(b, index, numeric);
      if (x < y) { return ascending ? -1 : 1; }
      if (x > y) { return ascending ? 1 : -1; }
      return 0;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header, index) {
      header.addEventListener("click", function () { sortBy(table, header, index); });
      header.addEventListener("keydown", function (event) {
        if (event.key === "Enter") { sortBy(table, header, index); }
      });
    });
  });
  document.documentElement.setAttribute("data-report-ready", "1");
  var filter = document.getElementById("evidence-filter");
  var evidence = document.getElementById("evidence-table");
  if (filter && evidence) {
    filter.addEventListener("input", function () {
      var words = filter.value.toLowerCase();
      Array.prototype.forEach.call(evidence.tBodies[0].rows, function (row) {
        row.style.display = row.textContent.toLowerCase().indexOf(words) >= 0 ? "" : "none";
      });
    });
  }
}());
