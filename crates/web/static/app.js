// Progressive enhancement only: every page works without this file.
// Forms marked data-confirm ask before submitting.
document.addEventListener("submit", (e) => {
  const msg = e.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) e.preventDefault();
});
