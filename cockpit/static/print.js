// The PDCA page's print link (a script file: the pages' Content-Security-Policy runs no inline script).
document.getElementById("print").addEventListener("click", function (event) {
  event.preventDefault();
  window.print();
});
