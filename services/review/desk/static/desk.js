// Newsroom desk: flag details on focus, keyboard shortcuts, live updates.
// Hand-written, no dependencies; the pages work without it.
(function () {
  "use strict";

  var root = document.documentElement;
  var body = document.body;
  root.classList.add("js");

  // The flag whose details show: the one last focused or pointed at.
  var current = null;

  function sel(flag) {
    return '[data-flag="' + (window.CSS && CSS.escape ? CSS.escape(flag) : flag) + '"]';
  }

  function marks() {
    return Array.prototype.slice.call(document.querySelectorAll("mark.flag[tabindex]"));
  }

  function liveStatus(text) {
    var el = document.getElementById("live-status");
    if (el) {
      el.textContent = text;
    }
  }

  function show(flag, scroll) {
    current = flag;
    document.querySelectorAll(".current").forEach(function (el) {
      el.classList.remove("current");
    });
    if (!flag) {
      return;
    }
    document.querySelectorAll("mark.flag" + sel(flag)).forEach(function (m) {
      m.classList.add("current");
    });
    var card = document.querySelector(".flag-card" + sel(flag));
    if (card) {
      card.classList.add("current");
      if (scroll) {
        reveal(card);
      }
    }
  }

  // reveal scrolls the flag panel (only the panel, never the page) so the
  // card shows.
  function reveal(card) {
    var panel = card.closest(".flag-panel");
    if (!panel) {
      return;
    }
    var top = card.offsetTop - panel.offsetTop;
    var bottom = top + card.offsetHeight;
    if (top < panel.scrollTop) {
      panel.scrollTop = top;
    } else if (bottom > panel.scrollTop + panel.clientHeight) {
      panel.scrollTop = Math.min(top, bottom - panel.clientHeight);
    }
  }

  function flagOf(el) {
    var holder = el && el.closest ? el.closest("mark.flag, .flag-card") : null;
    return holder ? holder.getAttribute("data-flag") : null;
  }

  document.addEventListener("focusin", function (e) {
    var flag = flagOf(e.target);
    if (flag) {
      show(flag, e.target.matches("mark.flag"));
    }
  });
  // Pointing at a mark shows its flag once the pointer rests on it, so
  // passing over marks on the way to the panel does not move the panel.
  var hover = null;
  document.addEventListener("mouseover", function (e) {
    clearTimeout(hover);
    var m = e.target.closest && e.target.closest("mark.flag");
    if (m) {
      hover = setTimeout(function () {
        show(m.getAttribute("data-flag"), true);
      }, 250);
    }
  });
  document.addEventListener("click", function (e) {
    var m = e.target.closest && e.target.closest("mark.flag");
    if (m) {
      var first = document.querySelector("mark.flag[tabindex]" + sel(m.getAttribute("data-flag")));
      (m.hasAttribute("tabindex") ? m : first || m).focus();
    }
  });

  // Keyboard shortcuts on the review page.
  function typing(el) {
    if (!el) {
      return false;
    }
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  function move(delta) {
    var ms = marks();
    if (!ms.length) {
      return;
    }
    var i = ms.indexOf(document.activeElement);
    if (i < 0) {
      i = delta > 0 ? -1 : ms.length;
      if (current) {
        for (var k = 0; k < ms.length; k++) {
          if (ms[k].getAttribute("data-flag") === current) {
            i = k;
            break;
          }
        }
      }
    }
    var j = Math.min(Math.max(i + delta, 0), ms.length - 1);
    ms[j].focus();
  }

  function decideForm(action) {
    var flag = flagOf(document.activeElement) || current;
    if (!flag) {
      liveStatus("Move to a flag first: press j.");
      return null;
    }
    var form = document.querySelector('form[data-action="' + action + '"]' + sel(flag));
    if (!form) {
      liveStatus("This flag is decided already, or you cannot decide it.");
    }
    return form;
  }

  function backToText(el) {
    var flag = flagOf(el) || current;
    var m = flag && document.querySelector("mark.flag[tabindex]" + sel(flag));
    if (m) {
      m.focus();
    }
  }

  document.addEventListener("keydown", function (e) {
    if (body.getAttribute("data-page") !== "review" || e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) {
      return;
    }
    if (typing(e.target)) {
      if (e.key === "Escape") {
        backToText(e.target);
        e.preventDefault();
      }
      return;
    }
    var form;
    switch (e.key) {
      case "j":
        move(1);
        break;
      case "k":
        move(-1);
        break;
      case "a":
        form = decideForm("approve");
        if (form) {
          form.requestSubmit();
        }
        break;
      case "d":
        // Move to the reason when the key comes up, so the "d" itself is
        // not typed into it.
        dismissing = decideForm("dismiss");
        break;
      default:
        return;
    }
    e.preventDefault();
  });
  var dismissing = null;
  document.addEventListener("keyup", function (e) {
    if (e.key === "d" && dismissing) {
      var reason = dismissing.querySelector('input[name="reason"]');
      dismissing = null;
      reason.focus();
      reason.select();
    }
  });

  // After a decision the page comes back with ?done=…: put the focus on
  // the first flag still open, so the keyboard can go on, and drop the
  // query from the address.
  var url = body.getAttribute("data-url");
  if (url && location.pathname + location.search !== url) {
    var done = new URLSearchParams(location.search).get("done");
    history.replaceState(null, "", url + location.hash);
    if (done && body.getAttribute("data-page") === "review") {
      var open = document.querySelector('mark.flag[tabindex][data-status="open"]');
      if (open) {
        open.focus();
      }
    }
  }

  // Live updates: the review page listens to its article's events and,
  // on each, reloads its live parts in place.
  var article = body.getAttribute("data-article");
  if (!article || !window.EventSource || !window.fetch) {
    return;
  }

  var refreshing = false;
  var again = false;
  var timer = null;

  function swap(doc) {
    var active = document.activeElement;
    var activeId = active && active.id;
    var typed = {};
    document.querySelectorAll("[data-live] input[type=text], [data-live] textarea").forEach(function (el) {
      if (el.id && el.value !== el.defaultValue) {
        typed[el.id] = el.value;
      }
    });
    document.querySelectorAll("[data-live]").forEach(function (old) {
      var fresh = doc.getElementById(old.id);
      if (fresh) {
        old.replaceWith(document.importNode(fresh, true));
      } else {
        old.remove();
      }
    });
    Object.keys(typed).forEach(function (id) {
      var el = document.getElementById(id);
      if (el) {
        el.value = typed[id];
      }
    });
    var fp = doc.body.getAttribute("data-fingerprint");
    if (fp) {
      body.setAttribute("data-fingerprint", fp);
    }
    document.title = doc.title;
    if (activeId) {
      var refocus = document.getElementById(activeId);
      if (refocus && refocus !== document.activeElement) {
        refocus.focus({ preventScroll: true });
      }
    }
    show(current, false);
  }

  function refresh() {
    if (refreshing) {
      again = true;
      return;
    }
    refreshing = true;
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (res) {
        if (!res.ok) {
          throw new Error("status " + res.status);
        }
        return res.text();
      })
      .then(function (html) {
        swap(new DOMParser().parseFromString(html, "text/html"));
        body.setAttribute("data-refreshed", String(Number(body.getAttribute("data-refreshed") || "0") + 1));
      })
      .catch(function () {
        liveStatus("Could not load the latest changes; reload the page.");
      })
      .then(function () {
        refreshing = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  function soon() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 100);
  }

  var words = {
    flagged: "The article was scanned again.",
    cleared: "Review cleared the article.",
    changes_requested: "Changes were requested.",
    status: "The article's status changed.",
    review: "The review changed."
  };

  function describe(ev) {
    if (ev.kind === "flag_decided") {
      return (ev.actor || "Someone") + " " + (ev.flag_status === "dismissed" ? "dismissed" : "approved") + " a flag.";
    }
    if (ev.kind === "status" && ev.status) {
      return "The article is now " + ev.status.replace(/_/g, " ") + ".";
    }
    return words[ev.kind] || "The article changed.";
  }

  var es = new EventSource("/events?article=" + encodeURIComponent(article));
  es.addEventListener("hello", function (e) {
    body.setAttribute("data-events", "on");
    var hello = JSON.parse(e.data);
    if (hello.fingerprint && hello.fingerprint !== body.getAttribute("data-fingerprint")) {
      soon();
    }
  });
  es.addEventListener("change", function (e) {
    var ev = JSON.parse(e.data);
    if (ev.kind !== "review") {
      liveStatus(describe(ev));
    }
    soon();
  });
  es.addEventListener("expired", function () {
    es.close();
    body.setAttribute("data-events", "off");
    liveStatus("Your token has expired: sign in again to see changes.");
  });
  es.addEventListener("error", function () {
    body.setAttribute("data-events", "off");
  });
  window.addEventListener("pagehide", function () {
    es.close();
  });
})();
