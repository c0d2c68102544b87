// The printable statement's Print button (a file, not an inline handler: the CSP allows no inline script).
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
