/*
 * Teamwork console behaviour: toasts, error toasts for htmx requests,
 * dismissible notices, confirmation dialogs, copy buttons.
 *
 * Dependency-free; loaded with `defer` after htmx. Works under
 * `script-src 'self'`: no inline handlers, no eval, no innerHTML.
 * htmx itself is configured by <meta name="htmx-config">, not here.
 * Every page still works without this file; it only adds comfort.
 */
(function () {
  "use strict";

  // Controls that only plain forms need (e.g. "Save" next to a select that htmx
  // submits on change) are hidden once this script runs.
  document.documentElement.classList.add("js");

  // ---------------------------------------------------------------- toasts

  var TOAST_MS = 5000;
  var MAX_TOASTS = 5;
  var LEVELS = { success: true, error: true, info: true };

  function toastContainer() {
    var box = document.getElementById("toasts");
    if (!box) {
      box = document.createElement("div");
      box.id = "toasts";
      box.setAttribute("aria-live", "polite");
      document.body.appendChild(box);
    }
    return box;
  }

  function removeToast(toast) {
    if (toast.getAttribute("data-state") === "leaving") return;
    toast.setAttribute("data-state", "leaving");
    window.setTimeout(function () {
      if (toast.parentNode) toast.parentNode.removeChild(toast);
    }, 200);
  }

  function showToast(level, message) {
    if (!LEVELS[level]) level = "info";
    var box = toastContainer();

    var toast = document.createElement("div");
    toast.className = "toast toast-" + level;

    var text = document.createElement("p");
    text.textContent = message;
    toast.appendChild(text);

    var close = document.createElement("button");
    close.type = "button";
    close.className = "dismiss";
    close.setAttribute("aria-label", "Dismiss notification");
    close.textContent = "\u00d7";
    toast.appendChild(close);

    box.appendChild(toast);
    armToast(toast);
    return toast;
  }

  // Timers and dismissal for a toast, whether built above or rendered by the server
  // (a toast with an action, such as Undo, arrives as HTML swapped into #toasts).
  function armToast(toast) {
    if (toast._armed) return;
    toast._armed = true;
    var box = toast.parentNode;
    var ms = parseInt(toast.getAttribute("data-toast-ms"), 10);
    // Auto-dismiss, paused while hovered or focused.
    var remaining = ms > 0 ? ms : TOAST_MS;
    var startedAt = 0;
    var timer = null;
    function start() {
      startedAt = Date.now();
      timer = window.setTimeout(function () {
        removeToast(toast);
      }, remaining);
    }
    function pause() {
      if (timer === null) return;
      window.clearTimeout(timer);
      timer = null;
      remaining = Math.max(1000, remaining - (Date.now() - startedAt));
    }
    toast.addEventListener("mouseenter", pause);
    toast.addEventListener("mouseleave", start);
    toast.addEventListener("focusin", pause);
    toast.addEventListener("focusout", start);
    toast.addEventListener("click", function (evt) {
      // A click on the toast's own action (Undo) is handled by its form; the toast
      // goes once that request is done.
      if (evt.target instanceof Element && evt.target.closest("form, [data-hx-post]")) return;
      pause();
      removeToast(toast);
    });

    while (box && box.children.length > MAX_TOASTS) {
      box.removeChild(box.firstElementChild);
    }
    start();
  }

  document.body.addEventListener("htmx:load", function (evt) {
    var elt = evt.target;
    if (elt instanceof Element && elt.matches("#toasts > .toast")) armToast(elt);
  });

  document.body.addEventListener("htmx:afterRequest", function (evt) {
    var elt = evt.detail && evt.detail.elt;
    var toast = elt instanceof Element ? elt.closest(".toast") : null;
    if (toast) removeToast(toast);
  });

  // ------------------------------------------------- save when changed

  // A form marked data-save-when-changed shows its "Save" only while one of its
  // selects differs from the value the page was rendered with; nothing is sent
  // until "Save" is pressed, so arrow keys on a focused select write nothing.
  function markChanged(evt) {
    var select = evt.target;
    if (!(select instanceof HTMLSelectElement) || !select.form) return;
    var form = select.form;
    if (!form.hasAttribute("data-save-when-changed")) return;
    var changed = Array.prototype.some.call(form.querySelectorAll("select"), function (s) {
      return Array.prototype.some.call(s.options, function (o) {
        return o.selected !== o.defaultSelected;
      });
    });
    if (changed) form.setAttribute("data-changed", "");
    else form.removeAttribute("data-changed");
  }
  document.addEventListener("change", markChanged);
  document.addEventListener("input", markChanged);

  // HX-Trigger: {"toast": {"level": "...", "message": "..."}}
  // (a bare string value arrives as detail.value and is shown as info)
  document.body.addEventListener("toast", function (evt) {
    var d = evt.detail || {};
    var message = typeof d.message === "string" ? d.message : typeof d.value === "string" ? d.value : "";
    if (!message) return;
    showToast(typeof d.level === "string" ? d.level : "info", message);
  });

  // ---------------------------------------------------------- htmx errors

  function statusMessage(status) {
    switch (status) {
      case 403:
        return "You don't have permission to do that.";
      case 404:
        return "Not found.";
      case 429:
        return "Too many requests, try again later.";
      case 503:
        return "The service is temporarily unavailable.";
      default:
        return "Something went wrong.";
    }
  }

  // True when the error response already carries its own toast via HX-Trigger,
  // so that one response does not produce two toasts.
  function carriesToast(xhr) {
    var header = xhr && typeof xhr.getResponseHeader === "function" ? xhr.getResponseHeader("HX-Trigger") : null;
    if (!header) return false;
    header = header.trim();
    if (header.charAt(0) === "{") {
      try {
        return Object.prototype.hasOwnProperty.call(JSON.parse(header), "toast");
      } catch (e) {
        return false;
      }
    }
    return header.split(",").some(function (name) {
      return name.trim() === "toast";
    });
  }

  document.body.addEventListener("htmx:responseError", function (evt) {
    var xhr = evt.detail && evt.detail.xhr;
    if (carriesToast(xhr)) return;
    showToast("error", statusMessage(xhr ? xhr.status : 0));
  });

  document.body.addEventListener("htmx:sendError", function () {
    showToast("error", "Network error: check your connection.");
  });

  // ------------------------------------------------------------- notices

  document.addEventListener("click", function (evt) {
    var button = evt.target instanceof Element ? evt.target.closest(".notice button.dismiss") : null;
    // A dismissal the server keeps is a form (htmx takes the notice away when it answers).
    if (!button || button.type === "submit") return;
    var notice = button.closest(".notice");
    if (!notice) return;
    var hadFocus = document.activeElement === button;
    notice.parentNode.removeChild(notice);
    if (hadFocus) {
      // Keep keyboard focus somewhere sensible instead of dropping it to <body>.
      var main = document.querySelector("main");
      if (main) {
        if (!main.hasAttribute("tabindex")) main.setAttribute("tabindex", "-1");
        main.focus({ preventScroll: true });
      }
    }
  });

  // ------------------------------------------------------- confirmations

  var confirmed = typeof WeakSet === "function" ? new WeakSet() : null;
  var dialog = null;
  var dialogText = null;
  var dialogCancel = null;
  var dialogConfirm = null;
  var pending = null; // { form, submitter, returnFocus }

  function ensureDialog() {
    if (dialog) {
      if (!dialog.isConnected) document.body.appendChild(dialog);
      return dialog;
    }
    dialog = document.createElement("dialog");
    dialog.className = "dialog";
    dialog.setAttribute("role", "alertdialog");
    dialog.setAttribute("aria-labelledby", "confirm-dialog-text");

    dialogText = document.createElement("p");
    dialogText.id = "confirm-dialog-text";
    dialog.appendChild(dialogText);

    var actions = document.createElement("div");
    actions.className = "dialog-actions";

    dialogCancel = document.createElement("button");
    dialogCancel.type = "button";
    dialogCancel.className = "btn";
    dialogCancel.textContent = "Cancel";
    dialogCancel.addEventListener("click", function () {
      finishConfirm(false);
    });

    dialogConfirm = document.createElement("button");
    dialogConfirm.type = "button";
    dialogConfirm.addEventListener("click", function () {
      finishConfirm(true);
    });

    actions.appendChild(dialogCancel);
    actions.appendChild(dialogConfirm);
    dialog.appendChild(actions);

    // A click on the backdrop (outside the dialog box) cancels.
    dialog.addEventListener("click", function (evt) {
      if (evt.target !== dialog) return;
      var r = dialog.getBoundingClientRect();
      var inside = evt.clientX >= r.left && evt.clientX <= r.right && evt.clientY >= r.top && evt.clientY <= r.bottom;
      if (!inside) finishConfirm(false);
    });

    // Escape fires "cancel": treat it as the Cancel button.
    dialog.addEventListener("cancel", function (evt) {
      evt.preventDefault();
      finishConfirm(false);
    });
    // Any other way of closing (should there be one) also counts as cancel.
    // (A late "close" event from an earlier round is ignored once reopened.)
    dialog.addEventListener("close", function () {
      if (!dialog.open) finishConfirm(false);
    });

    document.body.appendChild(dialog);
    return dialog;
  }

  function submitForm(form, submitter) {
    if (confirmed) confirmed.add(form);
    else form.setAttribute("data-confirmed", "");
    if (typeof form.requestSubmit === "function") {
      if (submitter && submitter.isConnected && submitter.form === form) {
        form.requestSubmit(submitter);
      } else {
        form.requestSubmit();
      }
    } else {
      form.submit();
    }
  }

  function takeConfirmed(form) {
    if (confirmed) {
      if (confirmed.has(form)) {
        confirmed.delete(form);
        return true;
      }
      return false;
    }
    if (form.hasAttribute("data-confirmed")) {
      form.removeAttribute("data-confirmed");
      return true;
    }
    return false;
  }

  function focusIfPossible(el) {
    if (el && el.isConnected && typeof el.focus === "function") el.focus();
  }

  // Handled synchronously (not from the dialog's "close" event, which some
  // browsers deliver only on the next animation frame).
  function finishConfirm(accepted) {
    var p = pending;
    pending = null;
    if (dialog && dialog.open) dialog.close();
    if (!p) return;
    focusIfPossible(p.returnFocus);
    if (accepted && p.form.isConnected) {
      submitForm(p.form, p.submitter);
    }
  }

  function askToConfirm(form, submitter) {
    var question = form.getAttribute("data-confirm") || "Are you sure?";
    var returnFocus = submitter || (document.activeElement !== document.body ? document.activeElement : null);

    var d = ensureDialog();
    if (typeof d.showModal !== "function") {
      // Very old browser without <dialog>: fall back to the native prompt.
      if (window.confirm(question)) submitForm(form, submitter);
      return;
    }
    if (d.open) return;

    dialogText.textContent = question;
    dialogConfirm.textContent = form.getAttribute("data-confirm-button") || "Confirm";
    dialogConfirm.className = form.hasAttribute("data-confirm-danger") ? "btn btn-danger" : "btn btn-primary";

    pending = { form: form, submitter: submitter, returnFocus: returnFocus };
    d.showModal();
    dialogCancel.focus();
  }

  // Capture on window so this runs before htmx's own submit listener on the form.
  window.addEventListener(
    "submit",
    function (evt) {
      var form = evt.target;
      if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-confirm")) return;
      if (takeConfirmed(form)) return;
      evt.preventDefault();
      evt.stopImmediatePropagation();
      askToConfirm(form, evt.submitter || null);
    },
    true
  );

  // ------------------------------------------------------- address check

  // A textarea marked data-check-emails lists the addresses it holds as you type,
  // marking those that cannot be addresses, and stops a submit that has any, so that
  // nothing is sent until they are fixed. The server checks every address again.
  var ADDRESS = /^[^\s@,;<>]+@[^\s@,;<>]+\.[^\s@,;<>]+$/;

  function addresses(text) {
    return text.split(/[\s,;]+/).filter(function (a) {
      return a.length > 0;
    });
  }

  function checkAddresses(field) {
    var list = document.getElementById(field.id + "-check");
    if (!list) {
      list = document.createElement("ul");
      list.id = field.id + "-check";
      list.className = "address-check";
      list.setAttribute("aria-label", "Addresses to invite");
      field.insertAdjacentElement("afterend", list);
    }
    while (list.firstChild) list.removeChild(list.firstChild);
    var invalid = [];
    addresses(field.value).forEach(function (address) {
      var item = document.createElement("li");
      item.textContent = address;
      if (!ADDRESS.test(address)) {
        item.className = "invalid";
        item.textContent = address + " (not an address)";
        invalid.push(address);
      }
      list.appendChild(item);
    });
    return invalid;
  }

  function showAddressError(field, invalid) {
    var id = field.id + "-client-error";
    var message = document.getElementById(id);
    if (!invalid.length) {
      if (message) message.parentNode.removeChild(message);
      if (!document.getElementById(field.id + "-error")) field.removeAttribute("aria-invalid");
      return;
    }
    if (!message) {
      message = document.createElement("p");
      message.id = id;
      message.className = "field-error";
      message.setAttribute("role", "alert");
      var list = document.getElementById(field.id + "-check");
      (list || field).insertAdjacentElement("afterend", message);
      var described = field.getAttribute("aria-describedby") || "";
      if (described.split(" ").indexOf(id) < 0) field.setAttribute("aria-describedby", (described + " " + id).trim());
    }
    message.textContent =
      "Fix or remove " + (invalid.length === 1 ? "this address" : "these addresses") + " before sending: " + invalid.join(", ");
    field.setAttribute("aria-invalid", "true");
  }

  document.addEventListener("input", function (evt) {
    var field = evt.target;
    if (!(field instanceof HTMLTextAreaElement) || !field.hasAttribute("data-check-emails")) return;
    var invalid = checkAddresses(field);
    // Once an error was shown, it follows the fixes; it does not appear while typing.
    if (document.getElementById(field.id + "-client-error")) showAddressError(field, invalid);
  });

  window.addEventListener(
    "submit",
    function (evt) {
      var form = evt.target;
      if (!(form instanceof HTMLFormElement)) return;
      var field = form.querySelector("textarea[data-check-emails]");
      if (!field) return;
      var invalid = checkAddresses(field);
      showAddressError(field, invalid);
      if (invalid.length) {
        evt.preventDefault();
        evt.stopImmediatePropagation();
        field.focus();
      }
    },
    true
  );

  // ----------------------------------------------------------- copy buttons

  function flipLabel(button, label) {
    if (!button.hasAttribute("data-copy-label")) {
      button.setAttribute("data-copy-label", button.textContent);
    }
    button.textContent = label;
    if (button._copyTimer) window.clearTimeout(button._copyTimer);
    button._copyTimer = window.setTimeout(function () {
      button.textContent = button.getAttribute("data-copy-label");
      button.removeAttribute("data-copy-label");
      button._copyTimer = null;
    }, 2000);
  }

  function legacyCopy(target) {
    var selection = window.getSelection();
    if (!selection) return false;
    var range = document.createRange();
    range.selectNodeContents(target);
    selection.removeAllRanges();
    selection.addRange(range);
    var ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (e) {
      ok = false;
    }
    return ok;
  }

  document.addEventListener("click", function (evt) {
    var button = evt.target instanceof Element ? evt.target.closest("button[data-copy-target]") : null;
    if (!button) return;
    evt.preventDefault();
    var target = null;
    try {
      target = document.querySelector(button.getAttribute("data-copy-target"));
    } catch (e) {
      target = null;
    }
    if (!target) return;
    var text = (typeof target.value === "string" && /^(INPUT|TEXTAREA)$/.test(target.tagName)
      ? target.value
      : target.textContent
    ).trim();

    if (navigator.clipboard && typeof navigator.clipboard.writeText === "function" && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () {
          flipLabel(button, "Copied");
        },
        function () {
          flipLabel(button, legacyCopy(target) ? "Copied" : "Press Ctrl+C");
        }
      );
    } else {
      flipLabel(button, legacyCopy(target) ? "Copied" : "Press Ctrl+C");
    }
  });

  // ------------------------------------------------ header menus

  // <details class="org-switcher"> and <details class="user-menu"> work without JS;
  // this only closes them on an outside click or Escape, as a menu is expected to behave.
  var MENUS = "details.org-switcher[open], details.user-menu[open]";

  document.addEventListener("click", function (evt) {
    var open = document.querySelectorAll(MENUS);
    for (var i = 0; i < open.length; i++) {
      if (!(evt.target instanceof Node) || !open[i].contains(evt.target)) open[i].removeAttribute("open");
    }
  });

  document.addEventListener("keydown", function (evt) {
    if (evt.key !== "Escape" || !(evt.target instanceof Element)) return;
    var menu = evt.target.closest(MENUS);
    if (!menu) return;
    menu.removeAttribute("open");
    var summary = menu.querySelector("summary");
    if (summary) summary.focus();
  });
})();
