/* Our one script: live fragments, select-all boxes, confirmations, auto-submitting selects.
 *
 * Live fragments: an element with data-live="<url>" is re-fetched every data-interval ms
 * (default 5000) with ?fragment=1 and its contents swapped. Polling stops while the tab is
 * hidden and resumes at once when it is shown again; errors back off (doubling, up to 60 s).
 * A refresh is skipped while the user is working inside the fragment (focus, ticked boxes),
 * so a bulk selection is never wiped out under their cursor.
 */
(function () {
  "use strict";
  var MAX_DELAY = 60000;

  function live(el) {
    var base = parseInt(el.getAttribute("data-interval") || "5000", 10);
    var delay = base;
    var timer = null;

    function busy() {
      return el.contains(document.activeElement) && document.activeElement !== document.body ||
        el.querySelector("input[type=checkbox]:checked") !== null;
    }

    function schedule() {
      if (timer === null && !document.hidden) timer = setTimeout(tick, delay);
    }

    function tick() {
      timer = null;
      if (document.hidden) return;
      if (busy()) { schedule(); return; }
      var url = new URL(el.getAttribute("data-live"), window.location.href);
      url.searchParams.set("fragment", "1");
      fetch(url.toString(), { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (response) {
          // A redirect means the session ended: stop rather than paste the login page in.
          if (response.redirected) return null;
          if (!response.ok) throw new Error(response.status);
          return response.text();
        })
        .then(function (html) {
          if (html === null) return;
          el.innerHTML = html;
          el.dispatchEvent(new CustomEvent("live:updated", { bubbles: true }));
          delay = base;
          // A fragment that will not change any more (a finished task) ends its polling.
          if (!el.querySelector("[data-live-final]")) schedule();
        })
        .catch(function () {
          delay = Math.min(delay * 2, MAX_DELAY);
          schedule();
        });
    }

    document.addEventListener("visibilitychange", function () {
      if (document.hidden) {
        clearTimeout(timer);
        timer = null;
      } else {
        delay = base;
        tick();
      }
    });
    schedule();
  }

  function init() {
    document.querySelectorAll("[data-live]").forEach(live);
  }

  // Select-all: a checkbox with data-select-all="name" ticks every box of that name.
  document.addEventListener("change", function (event) {
    var target = event.target;
    var name = target.getAttribute && target.getAttribute("data-select-all");
    if (name) {
      document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (box) {
        box.checked = target.checked;
      });
    }
    if (target.hasAttribute && target.hasAttribute("data-autosubmit")) target.form.submit();
  });

  // Destructive buttons carry data-confirm="question".
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) event.preventDefault();
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
