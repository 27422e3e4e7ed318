// Kiosk pages: return to the start screen after inactivity (no citizen data stays on screen),
// keep the scanner input focused, and print the receipt.
(function () {
  var root = document.getElementById('kiosk');
  if (!root) return;
  var seconds = parseInt(root.getAttribute('data-reset-seconds') || '90', 10);
  var timer;
  function reset() {
    clearTimeout(timer);
    timer = setTimeout(function () { window.location.replace('/kiosk'); }, seconds * 1000);
  }
  ['click', 'keydown', 'touchstart', 'input'].forEach(function (e) { document.addEventListener(e, reset, true); });
  reset();
  var scan = document.getElementById('payload');
  if (scan) {
    scan.focus();
    document.addEventListener('click', function () { scan.focus(); });
  }
  var print = document.querySelector('[data-print]');
  if (print) print.addEventListener('click', function () { window.print(); });
})();
