// The console's own script (served by Ringbill, no inline script): charts drawn with uPlot from the JSON
// a page carries in <script type="application/json" data-chart>, and file uploads with a progress bar.
// Everything else is plain HTML forms, enhanced by htmx where a page asks for it.
(function () {
  'use strict';
  var palette = ['#1d4fc0', '#e07a1f', '#2a9d5b', '#a4361a'];

  function drawCharts(root) {
    if (typeof uPlot === 'undefined') return;
    root.querySelectorAll('script[data-chart]').forEach(function (node) {
      var spec;
      try {
        spec = JSON.parse(node.textContent);
      } catch {
        return;
      }
      var box = document.getElementById(node.getAttribute('data-chart'));
      if (!box || box.dataset.drawn) return;
      box.dataset.drawn = '1';
      var labels = spec.labels;
      var xs = labels.map(function (_, i) {
        return i;
      });
      var series = [
        {
          label: spec.xLabel || '',
          value: function (u, v) {
            return v == null ? '' : labels[v];
          },
        },
      ];
      spec.series.forEach(function (s, i) {
        var style = {
          label: s.label,
          stroke: palette[i % palette.length],
          width: 2,
          value: function (u, v) {
            return v == null ? '' : v.toFixed(s.decimals == null ? 2 : s.decimals);
          },
        };
        if (spec.bars) {
          style.fill = palette[i % palette.length] + '55';
          style.paths = uPlot.paths.bars({
            // A slot's bars side by side fill 80% of it (a gap between slots), each at most 48 px wide.
            size: [0.8 / spec.series.length, 48],
            align: spec.series.length === 1 ? 0 : i === 0 ? -1 : 1,
          });
          style.points = { show: false };
        }
        if (s.scale) style.scale = s.scale;
        series.push(style);
      });
      var width = Math.max(240, box.clientWidth || 300);
      var axes = [
        {
          values: function (u, splits) {
            return splits.map(function (v) {
              return labels[v] == null ? '' : labels[v];
            });
          },
          space: 50,
        },
        { size: 60 },
      ];
      if (
        spec.series.some(function (s) {
          return s.scale === 'y2';
        })
      )
        axes.push({ scale: 'y2', side: 1, grid: { show: false }, size: 50 });
      var plot = new uPlot(
        {
          width: width,
          height: 220,
          series: series,
          axes: axes,
          scales: {
            x: spec.bars
              ? {
                  time: false,
                  range: function (u, min, max) {
                    return [min - 0.5, max + 0.5];
                  },
                }
              : { time: false },
          },
        },
        [xs].concat(
          spec.series.map(function (s) {
            return s.values;
          }),
        ),
        box,
      );
      // The chart fills its card: redrawn at the box's width whenever the box (the card, the window) changes
      // width, once per frame; a change of height alone (the legend wrapping) is not a redraw.
      var pending = false;
      new ResizeObserver(function () {
        if (pending) return;
        pending = true;
        window.requestAnimationFrame(function () {
          pending = false;
          var w = Math.max(240, box.clientWidth);
          if (w !== plot.width) plot.setSize({ width: w, height: 220 });
        });
      }).observe(box);
    });
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name=csrf-token]');
    return meta ? meta.getAttribute('content') : '';
  }

  // <form data-upload> with a file input: the file is sent as the request body (text/csv) so a large CDR
  // file shows its progress; the answer (an HTML report) replaces the form's [data-report] target.
  function enhanceUploads(root) {
    root.querySelectorAll('form[data-upload]').forEach(function (form) {
      if (form.dataset.enhanced) return;
      form.dataset.enhanced = '1';
      form.addEventListener('submit', function (event) {
        var input = form.querySelector('input[type=file]');
        if (!input || !input.files || input.files.length === 0) return; // no file: the pasted text goes as a plain form
        event.preventDefault();
        var params = new URLSearchParams();
        new FormData(form).forEach(function (v, k) {
          if (typeof v === 'string' && k !== 'csv') params.append(k, v);
        });
        var xhr = new XMLHttpRequest();
        var bar = form.querySelector('progress');
        var report = document.getElementById(form.getAttribute('data-upload'));
        xhr.open('POST', form.getAttribute('action') + '?' + params.toString());
        // data-type="file": the file goes with its own type (a logo: image/png or image/jpeg).
        xhr.setRequestHeader(
          'content-type',
          form.getAttribute('data-type') === 'file'
            ? input.files[0].type || 'application/octet-stream'
            : 'text/csv',
        );
        xhr.setRequestHeader('x-csrf-token', csrfToken());
        xhr.setRequestHeader('hx-request', 'true');
        if (bar) {
          bar.hidden = false;
          bar.value = 0;
        }
        xhr.upload.onprogress = function (e) {
          if (bar && e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
        };
        xhr.onload = function () {
          if (bar) bar.value = 100;
          if (report) {
            report.innerHTML = xhr.responseText;
            report.focus();
          }
        };
        xhr.onerror = function () {
          if (report) report.textContent = 'The upload failed: check the connection and try again.';
        };
        xhr.send(input.files[0]);
      });
    });
  }

  function init(root) {
    drawCharts(root);
    enhanceUploads(root);
  }
  document.addEventListener('DOMContentLoaded', function () {
    init(document);
  });
  document.addEventListener('htmx:afterSettle', function (e) {
    init(e.target);
  });
  document.addEventListener('htmx:configRequest', function (e) {
    e.detail.headers['x-csrf-token'] = csrfToken();
  });
})();
