/* Suggestions as you type under the search box: the ARIA 1.2 combobox pattern (a text input
   with role=combobox controlling a listbox; the active option named by aria-activedescendant,
   focus stays in the input). Everything it needs is added here, so that without JavaScript the
   page is exactly the plain GET form. Suggestions come from /api/suggest (same origin). */
(function () {
  "use strict";
  var input = document.getElementById("q");
  if (!input || !input.form || !window.fetch) { return; }
  var form = input.form;
  var row = input.parentNode;
  var DELAY = 120; // ms after the last keystroke
  var list = document.createElement("ul");
  var status = document.createElement("p");
  var options = [];
  var active = -1;
  var timer = null;
  var asked = 0; // number of the latest request: older answers are dropped

  list.id = "q-suggestions";
  list.className = "suggestions";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Sugestii");
  list.hidden = true;
  status.className = "sr-only";
  status.setAttribute("role", "status");
  row.classList.add("has-suggestions");
  row.appendChild(list);
  form.appendChild(status);

  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", list.id);

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function highlight(index) {
    options.forEach(function (option, i) {
      option.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    active = index;
    if (index < 0) {
      input.removeAttribute("aria-activedescendant");
    } else {
      input.setAttribute("aria-activedescendant", options[index].id);
      options[index].scrollIntoView({ block: "nearest" });
    }
  }

  function choose(index) {
    input.value = options[index].dataset.text;
    close();
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }

  function show(suggestions) {
    list.textContent = "";
    options = suggestions.map(function (suggestion, i) {
      var option = document.createElement("li");
      var count = document.createElement("span");
      option.id = "q-suggestion-" + i;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.dataset.text = suggestion.text;
      option.appendChild(document.createTextNode(suggestion.text));
      count.className = "suggestion-count";
      count.setAttribute("aria-hidden", "true");
      count.textContent = suggestion.count.toLocaleString("ro-RO");
      option.appendChild(count);
      // mousedown, not click: the input keeps the focus (and does not close the list first)
      option.addEventListener("mousedown", function (event) {
        event.preventDefault();
        choose(i);
      });
      list.appendChild(option);
      return option;
    });
    active = -1;
    if (options.length) {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      input.removeAttribute("aria-activedescendant");
      status.textContent = options.length === 1 ? "O sugestie" : options.length + " sugestii";
    } else {
      close();
      status.textContent = "";
    }
  }

  function ask() {
    var q = input.value;
    var number = ++asked;
    if (!q.trim()) { show([]); return; }
    fetch("/api/suggest?" + new URLSearchParams({ q: q }).toString(), { headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
      .then(function (data) {
        if (number === asked && document.activeElement === input) { show(data.suggestions || []); }
      })
      .catch(function () { /* no suggestions: the search box works as before */ });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, DELAY);
  });

  input.addEventListener("keydown", function (event) {
    var open = !list.hidden;
    switch (event.key) {
      case "ArrowDown":
        event.preventDefault();
        if (!open && options.length) {
          list.hidden = false;
          input.setAttribute("aria-expanded", "true");
        }
        if (options.length) { highlight(active + 1 >= options.length ? 0 : active + 1); }
        break;
      case "ArrowUp":
        if (!open) { return; }
        event.preventDefault();
        highlight(active <= 0 ? options.length - 1 : active - 1);
        break;
      case "Enter":
        if (open && active >= 0) {
          event.preventDefault();
          choose(active);
        }
        break; // otherwise the form is submitted as typed
      case "Escape":
        if (open) {
          event.preventDefault(); // closes the list only; a second Escape clears the box
          close();
        }
        break;
      case "Tab":
        close();
        break;
    }
  });

  input.addEventListener("blur", close);
}());
