/* The legal representative's signature, drawn with a finger or a stylus on the coordinator's
   device (Alg. §20). Pointer events cover touch, pen and mouse. On submit the drawing travels
   as a PNG data URL in a hidden field; the server checks and stores it. No inline script: the
   content-security policy allows scripts from 'self' only. */
(function () {
  "use strict";
  var form = document.querySelector("[data-signature-form]");
  if (!form) return;
  var canvas = form.querySelector("[data-signature-pad]");
  var field = form.querySelector("input[name=signature]");
  var clear = form.querySelector("[data-signature-clear]");
  var empty = form.querySelector("[data-signature-empty]");
  var context = canvas.getContext("2d");
  var drawing = false;
  var drawn = false;
  var last = null;

  function reset() {
    context.fillStyle = "#fff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.lineWidth = 3;
    context.lineCap = "round";
    context.lineJoin = "round";
    context.strokeStyle = "#0b2e59";
    drawn = false;
    field.value = "";
  }

  function point(event) {
    var box = canvas.getBoundingClientRect();
    return {
      x: (event.clientX - box.left) * (canvas.width / box.width),
      y: (event.clientY - box.top) * (canvas.height / box.height)
    };
  }

  canvas.addEventListener("pointerdown", function (event) {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    drawing = true;
    last = point(event);
    context.beginPath();
    context.arc(last.x, last.y, 1.5, 0, 2 * Math.PI);
    context.fillStyle = context.strokeStyle;
    context.fill();
    drawn = true;
  });
  canvas.addEventListener("pointermove", function (event) {
    if (!drawing) return;
    event.preventDefault();
    var next = point(event);
    context.beginPath();
    context.moveTo(last.x, last.y);
    context.lineTo(next.x, next.y);
    context.stroke();
    last = next;
    drawn = true;
  });
  ["pointerup", "pointercancel", "pointerleave"].forEach(function (name) {
    canvas.addEventListener(name, function () { drawing = false; });
  });
  if (clear) clear.addEventListener("click", reset);

  function method() {
    var chosen = form.querySelector("input[name=method]:checked");
    return chosen ? chosen.value : "";
  }
  function showMethod() {
    var current = method();
    form.querySelectorAll(".method").forEach(function (block) {
      block.hidden = !block.classList.contains("method-" + current);
    });
  }
  form.querySelectorAll("input[name=method]").forEach(function (radio) {
    radio.addEventListener("change", showMethod);
  });
  showMethod();

  form.addEventListener("submit", function (event) {
    if (method() !== "signature") return;
    if (!drawn) {
      event.preventDefault();
      if (empty) empty.hidden = false;
      return;
    }
    field.value = canvas.toDataURL("image/png");
  });
  reset();
})();
