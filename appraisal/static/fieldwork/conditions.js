// Conditions of an activity form evaluated on the phone, offline, with the server's meaning
// (appraisal/rules/formula.py, activities.check_activity_values); the server stays the
// authority. The page marks each field's wrapper (appraisal/rules/conditions.py makes the
// JSON):
//
//   <div data-field="KEY" data-visible-if='TREE' data-required-if='TREE' data-field-rule='RULE'>
//
// Top to bottom, like the server: a wrapper whose `data-visible-if` does not hold is hidden
// and its inputs disabled (so they are not sent), and its value is blank for later fields;
// `data-required-if` toggles `required` on its inputs. A condition that is blank or errors
// counts as false. Numbers are exact decimals (28 significant digits, half even, as Python's
// decimal context): 0.1 + 0.2 == 0.3 holds. A photos field counts the files chosen in its
// file inputs plus photos named in its other inputs, unless the wrapper says
// `data-photo-count` (the outbox may keep photos itself). Forms holding conditions are bound
// when the page loads and re-evaluated on every `input`/`change`; a script that draws a form
// later calls `fieldConditions.bind(form)`, one that fills values calls `.apply(form)`.
// No eval, no dependencies; `window.fieldConditions` for other scripts and the tests.
(function () {
  "use strict";

  var PREC = 28;
  var EMAX = 999999;
  var ETINY = -999999 - (PREC - 1);

  function ConditionError(message) {
    this.message = message;
  }

  function fail(message) {
    throw new ConditionError(message);
  }

  // -- exact decimals: the value c × 10^e, c a BigInt ------------------------------------

  function Dec(c, e) {
    this.c = c;
    this.e = e;
  }

  function Day(n) {  // a date, as days since 1970-01-01
    this.n = n;
  }

  var ZERO = new Dec(0n, 0);

  function abs(c) {
    return c < 0n ? -c : c;
  }

  var POWERS = [1n];  // 10^0 … 10^80: BigInt's toString is slow, comparisons are not
  while (POWERS.length <= 80) { POWERS.push(POWERS[POWERS.length - 1] * 10n); }

  function digits(c) {
    var a = abs(c);
    if (a >= POWERS[80]) { return a.toString().length; }
    var low = 1;
    var high = 80;
    while (low < high) {  // the fewest digits k with a < 10^k
      var middle = (low + high) >> 1;
      if (a < POWERS[middle]) { high = middle; } else { low = middle + 1; }
    }
    return low;
  }

  function pow10(n) {
    return n <= 80 ? POWERS[n] : 10n ** BigInt(n);
  }

  function adjusted(d) {
    return d.e + digits(d.c) - 1;
  }

  // Round to the context: 28 significant digits (and not below the tiniest exponent), half
  // to even; too large is an error, as decimal's Overflow trap.
  function fix(c, e) {
    var target = Math.max(e + digits(c) - PREC, ETINY);
    if (c !== 0n && e < target) {
      var drop = target - e;
      if (drop > digits(c)) {
        c = 0n;
      } else {
        var unit = pow10(drop);
        var q = c / unit;
        var twice = abs(c % unit) * 2n;
        if (twice > unit || (twice === unit && q % 2n !== 0n)) {
          q += c < 0n ? -1n : 1n;
        }
        c = q;
        if (digits(c) > PREC) {
          c /= 10n;
          target += 1;
        }
      }
      e = target;
    }
    if (c !== 0n && e + digits(c) - 1 > EMAX) {
      fail("too large");
    }
    return new Dec(c, e);
  }

  function add(a, b) {
    if (a.c === 0n) { return fix(b.c, b.e); }
    if (b.c === 0n) { return fix(a.c, a.e); }
    if (adjusted(a) < adjusted(b)) {
      var t = a;
      a = b;
      b = t;
    }
    var keep = Math.min(a.e, adjusted(a) - PREC - 2);
    if (adjusted(b) < keep) {
      // b is below one unit of the last digit kept of a: it only tips a rounding
      var kept = a.c * pow10(a.e - keep);
      return fix(kept * 10n + (b.c < 0n ? -1n : 1n), keep - 1);
    }
    var e = Math.min(a.e, b.e);
    return fix(a.c * pow10(a.e - e) + b.c * pow10(b.e - e), e);
  }

  function sub(a, b) {
    return add(a, new Dec(-b.c, b.e));
  }

  function mul(a, b) {
    return fix(a.c * b.c, a.e + b.e);
  }

  function div(a, b) {
    if (b.c === 0n) { fail("division by zero"); }
    if (a.c === 0n) { return ZERO; }
    var n = abs(a.c);
    var d = abs(b.c);
    var shift = Math.max(0, PREC + 2 + digits(d) - digits(n));
    var scaled = n * pow10(shift);
    var q = scaled / d;
    var e = a.e - b.e - shift;
    if (scaled % d !== 0n) {  // a sticky digit: never a tie that is not one
      q = q * 10n + 1n;
      e -= 1;
    }
    return fix((a.c < 0n) !== (b.c < 0n) ? -q : q, e);
  }

  function cmp(a, b) {
    var sa = a.c < 0n ? -1 : a.c > 0n ? 1 : 0;
    var sb = b.c < 0n ? -1 : b.c > 0n ? 1 : 0;
    if (sa !== sb) { return sa < sb ? -1 : 1; }
    if (sa === 0) { return 0; }
    var ea = adjusted(a);
    var eb = adjusted(b);
    if (ea !== eb) { return (ea < eb ? -1 : 1) * sa; }
    var e = Math.min(a.e, b.e);
    var x = a.c * pow10(a.e - e);
    var y = b.c * pow10(b.e - e);
    return x < y ? -1 : x > y ? 1 : 0;
  }

  var DECIMAL = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$/;

  // A decimal's text ("0.1", "-1E+2") as a Dec, or null.
  function parseDecimal(text) {
    var m = DECIMAL.exec(text);
    if (!m || m[2] + (m[3] || "") === "") { return null; }
    var fraction = m[3] || "";
    var exponent = m[4] ? Number(m[4]) : 0;
    if (Math.abs(exponent) > 1e15) {  // beyond any figure a form holds
      exponent = exponent > 0 ? 1e15 : -1e15;
    }
    var c = BigInt(m[2] + fraction || "0");
    return new Dec(m[1] === "-" ? -c : c, exponent - fraction.length);
  }

  // -- the engine's operators (formula.py's safe path) -----------------------------------

  function isText(v) {
    return typeof v === "string";
  }

  function truth(v) {
    if (v === null) { return null; }
    if (isText(v) || Array.isArray(v)) { fail("text is not a condition"); }
    if (v instanceof Dec) { return v.c !== 0n; }
    if (v instanceof Day) { return true; }
    return v;
  }

  // Python's order of text: by code point (JavaScript's `<` compares UTF-16 units).
  function compareText(a, b) {
    var x = Array.from(a);
    var y = Array.from(b);
    for (var i = 0; i < Math.min(x.length, y.length); i++) {
      var cx = x[i].codePointAt(0);
      var cy = y[i].codePointAt(0);
      if (cx !== cy) { return cx < cy ? -1 : 1; }
    }
    return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
  }

  function order(a, b) {  // null when the two cannot be compared
    if (a instanceof Dec && b instanceof Dec) { return cmp(a, b); }
    if (isText(a) && isText(b)) { return compareText(a, b); }
    if (typeof a === "boolean" && typeof b === "boolean") { return Number(a) - Number(b); }
    if (a instanceof Day && b instanceof Day) { return a.n === b.n ? 0 : a.n < b.n ? -1 : 1; }
    return null;
  }

  function compare(op, a, b) {
    if (a === null || b === null) { return null; }
    var o = order(a, b);
    if (o === null) {
      if (op === "==" || op === "!=") { return op === "!="; }
      fail("these values cannot be compared");
    }
    switch (op) {
      case "==": return o === 0;
      case "!=": return o !== 0;
      case "<": return o < 0;
      case "<=": return o <= 0;
      case ">": return o > 0;
      case ">=": return o >= 0;
    }
    return fail("unknown comparison");
  }

  function arith(op, a, b) {
    if (a === null || b === null) { return null; }
    if (op === "-" && a instanceof Day && b instanceof Day) { return new Dec(BigInt(a.n - b.n), 0); }
    if (!(a instanceof Dec && b instanceof Dec)) { fail("`" + op + "` needs numbers"); }
    if (op === "+") { return add(a, b); }
    if (op === "-") { return sub(a, b); }
    if (op === "*") { return mul(a, b); }
    return div(a, b);
  }

  // Python's == between values (LOOKUP's match): 1 == true, lists item by item.
  function same(a, b) {
    if (a === null || b === null) { return a === b; }
    if (typeof a === "boolean") { a = new Dec(BigInt(a), 0); }
    if (typeof b === "boolean") { b = new Dec(BigInt(b), 0); }
    if (Array.isArray(a) && Array.isArray(b)) {
      return a.length === b.length && a.every(function (v, i) { return same(v, b[i]); });
    }
    var o = order(a, b);
    return o === 0;
  }

  function flat(args) {
    var out = [];
    args.forEach(function (arg) {
      if (Array.isArray(arg)) {
        arg.forEach(function (v) { if (v !== null) { out.push(v); } });
      } else if (arg !== null) {
        out.push(arg);
      }
    });
    return out;
  }

  function numbers(name, args) {
    return flat(args).map(function (v) {
      if (!(v instanceof Dec)) { fail(name + " needs numbers"); }
      return v;
    });
  }

  function total(values) {
    return values.reduce(add, ZERO);
  }

  function extreme(name, args, sign) {
    var values = numbers(name, args);
    if (!values.length) { return null; }
    return values.reduce(function (best, v) { return cmp(v, best) * sign > 0 ? v : best; });
  }

  var FUNCTIONS = {
    ISBLANK: function (args) { return args[0] === null; },
    COALESCE: function (args) {
      for (var i = 0; i < args.length; i++) {
        if (args[i] !== null) { return args[i]; }
      }
      return null;
    },
    COUNT: function (args) { return new Dec(BigInt(flat(args).length), 0); },
    MIN: function (args) { return extreme("MIN", args, -1); },
    MAX: function (args) { return extreme("MAX", args, 1); },
    SUM: function (args) {
      var values = numbers("SUM", args);
      return values.length ? total(values) : null;
    },
    AVG: function (args) {
      var values = numbers("AVG", args);
      return values.length ? div(total(values), new Dec(BigInt(values.length), 0)) : null;
    },
    ABS: function (args) {
      var x = args[0];
      if (x === null) { return null; }
      if (!(x instanceof Dec)) { fail("ABS needs a number"); }
      return fix(abs(x.c), x.e);
    },
    LOOKUP: function (args) {
      var key = args[0];
      var keys = args[1];
      var values = args[2];
      if (!Array.isArray(keys) || !Array.isArray(values)) { fail("LOOKUP needs two lists"); }
      if (keys.length !== values.length || !keys.length) { fail("LOOKUP needs lists of one length"); }
      if (key === null) { return null; }
      for (var i = 0; i < keys.length; i++) {
        if (same(keys[i], key) && isText(keys[i]) === isText(key)) { return values[i]; }
      }
      return args.length > 3 ? args[3] : null;
    }
  };

  function Unknown(message) {  // a tree this script cannot read (a newer server?)
    this.message = message;
  }

  function own(object, key) {
    return Object.prototype.hasOwnProperty.call(object, key);
  }

  var literals = new WeakMap();

  function evaluate(node, values) {
    if (own(node, "num")) {
      if (!literals.has(node)) { literals.set(node, parseDecimal(node.num)); }
      var number = literals.get(node);
      if (number === null) { throw new Unknown("number " + node.num); }
      return number;
    }
    if (own(node, "text")) { return node.text; }
    if (own(node, "bool")) { return node.bool; }
    if (own(node, "name")) { return own(values, node.name) ? values[node.name] : null; }
    if (own(node, "list")) { return node.list.map(function (n) { return evaluate(n, values); }); }
    var args = node.args || [];
    var at = function (i) { return evaluate(args[i], values); };
    switch (node.op) {
      case "+":
      case "-":
      case "*":
      case "/": {
        var left = at(0);
        return arith(node.op, left, at(1));
      }
      case "neg": {
        var x = at(0);
        if (x === null) { return null; }
        if (!(x instanceof Dec)) { fail("`-` needs a number"); }
        return fix(-x.c, x.e);
      }
      case "not": {
        var t = truth(at(0));
        return t === null ? null : !t;
      }
      case "and":
      case "or":
        return junction(node.op === "or", args, values);
      case "compare":
        return chain(node.ops, args, values);
      case "if": {
        var c = truth(at(0));
        if (c === null) { return null; }
        return c ? at(1) : at(2);
      }
      case "call":
        if (!own(FUNCTIONS, node.fn)) { throw new Unknown("function " + node.fn); }
        return FUNCTIONS[node.fn](args.map(function (n) { return evaluate(n, values); }));
    }
    throw new Unknown("node " + JSON.stringify(node).slice(0, 40));
  }

  // `and`/`or`, three-valued, left to right: blank only where it decides.
  function junction(decisive, args, values) {
    var result = truth(evaluate(args[0], values));
    for (var i = 1; i < args.length; i++) {
      if (result === decisive) { return decisive; }
      var next = truth(evaluate(args[i], values));
      if (next === decisive) {
        result = decisive;
      } else {
        result = result === null || next === null ? null : !decisive;
      }
    }
    return result;
  }

  function chain(ops, args, values) {
    var left = evaluate(args[0], values);
    for (var i = 0; i < ops.length; i++) {
      var right = evaluate(args[i + 1], values);
      var outcome = compare(ops[i], left, right);
      if (outcome !== true) { return outcome; }
      left = right;
    }
    return true;
  }

  // true or false as the server decides a condition (blank or an error: false); null when
  // the tree cannot be read here (then the server decides).
  function holds(tree, values) {
    try {
      return evaluate(tree, values) === true;
    } catch (error) {
      if (error instanceof ConditionError) { return false; }
      return null;
    }
  }

  // -- values as the server parses them (activities.py PARSERS) --------------------------

  var SPACE = "[\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
  var EDGES = new RegExp("^" + SPACE + "+|" + SPACE + "+$", "g");
  var DIGIT = /\p{Nd}/u;
  var YES = ["true", "yes", "1", "on", "y"];
  var NO = ["false", "no", "0", "off", "n"];

  function strip(text) {  // Python's str.strip()
    return text.replace(EDGES, "");
  }

  // Every decimal digit (full-width １２, Arabic-Indic ٣...) as 0-9, as Python's Decimal reads them.
  function asciiDigits(text) {
    return text.replace(/\p{Nd}/gu, function (ch) {
      var code = ch.codePointAt(0);
      var start = code;
      while (start > 0 && DIGIT.test(String.fromCodePoint(start - 1))) { start -= 1; }
      return String((code - start) % 10);
    });
  }

  function parseNumber(rule, raw) {
    var text = strip(asciiDigits(strip(raw).replace(/,/g, "")).replace(/_/g, ""));
    var number = parseDecimal(text);
    if (number === null) { return null; }
    var limit = parseDecimal(rule.limit || "1E+12");
    if (cmp(new Dec(abs(number.c), number.e), limit) >= 0) { return null; }
    if (rule.type === "money" && number.e < -2 && number.c % pow10(-2 - number.e) !== 0n) {
      return null;
    }
    if (rule.min !== undefined && cmp(number, parseDecimal(rule.min)) < 0) { return null; }
    if (rule.max !== undefined && cmp(number, parseDecimal(rule.max)) > 0) { return null; }
    return number;
  }

  function parseDate(raw) {
    var m = /^([0-9]{4})-?([0-9]{2})-?([0-9]{2})$/.exec(strip(raw));
    if (!m || (raw.indexOf("-") >= 0) !== (m[0].length === 10)) { return null; }
    var year = Number(m[1]);
    var month = Number(m[2]);
    var day = Number(m[3]);
    var moment = new Date(0);
    moment.setUTCFullYear(year, month - 1, day);
    if (year < 1 || moment.getUTCFullYear() !== year || moment.getUTCMonth() !== month - 1 ||
        moment.getUTCDate() !== day) {
      return null;
    }
    return new Day(Math.round(moment.getTime() / 86400000));
  }

  // A field's value as later conditions read it, from what its inputs hold (text, a list
  // of texts, or for photos a count); null when blank or when the server would refuse it.
  function parseValue(rule, raw) {
    if (rule.type === "photos") {
      var count = Number(raw) || 0;
      return count > 0 && count <= rule.limit ? new Dec(BigInt(count), 0) : null;
    }
    if (raw === null || raw === undefined || (isText(raw) && !strip(raw))) { return null; }
    switch (rule.type) {
      case "number":
      case "money":
        return isText(raw) ? parseNumber(rule, raw) : null;
      case "text":
      case "long_text": {
        if (!isText(raw)) { return null; }
        var text = rule.type === "text" ? strip(raw)
          : raw.replace(/^[\n ]+|[\n ]+$/g, "").replace(/\r\n/g, "\n");
        return Array.from(text).length > rule.limit ? null : text;
      }
      case "choice":
        return rule.options.indexOf(raw) >= 0 ? raw : null;
      case "multi_choice": {
        var chosen = isText(raw) ? [raw] : raw;
        if (!Array.isArray(chosen) || !chosen.every(function (v) { return rule.options.indexOf(v) >= 0; })) {
          return null;
        }
        var keys = rule.options.filter(function (key) { return chosen.indexOf(key) >= 0; });
        return keys.length ? keys : null;
      }
      case "yes_no": {
        var word = strip(String(raw)).toLowerCase();
        return YES.indexOf(word) >= 0 ? true : NO.indexOf(word) >= 0 ? false : null;
      }
      case "date":
        return isText(raw) ? parseDate(raw) : null;
    }
    return null;
  }

  // -- the form ---------------------------------------------------------------------------

  var CONTROLS = "input, select, textarea, button, fieldset";
  var MARK = "data-condition-disabled";
  var parsed = new WeakMap();

  function json(element, name) {
    var text = element.getAttribute(name);
    var cache = parsed.get(element) || {};
    if (!own(cache, name) || cache[name].text !== text) {
      var value = null;
      try { value = text ? JSON.parse(text) : null; } catch (error) { value = null; }
      cache[name] = { text: text, value: value };
      parsed.set(element, cache);
    }
    return cache[name].value;
  }

  function inputsOf(wrapper) {
    var key = wrapper.getAttribute("data-field");
    return Array.prototype.filter.call(wrapper.querySelectorAll("input, select, textarea"), function (el) {
      return el.name === key && !el.disabled;
    });
  }

  // What the wrapper's inputs would send, as a form does: checked boxes only, every selected
  // option; the first value for a single-valued field (as the server's form.get).
  function rawValue(wrapper, rule) {
    var sent = [];
    var photos = 0;
    inputsOf(wrapper).forEach(function (el) {
      if (el.type === "file") {
        photos += el.files ? el.files.length : 0;
      } else if (el.type === "checkbox" || el.type === "radio") {
        if (el.checked) { sent.push(el.value); }
      } else if (el.tagName === "SELECT" && el.multiple) {
        Array.prototype.forEach.call(el.selectedOptions, function (o) { sent.push(o.value); });
      } else {
        sent.push(el.value);
      }
    });
    if (rule.type === "photos") {
      if (wrapper.hasAttribute("data-photo-count")) { return Number(wrapper.getAttribute("data-photo-count")); }
      sent.forEach(function (v) { photos += v.split(",").filter(function (p) { return strip(p); }).length; });
      return photos;
    }
    if (rule.type === "multi_choice") { return sent.length ? sent : null; }
    return sent.length ? sent[0] : null;
  }

  function read(wrapper) {
    var rule = json(wrapper, "data-field-rule");
    return rule ? parseValue(rule, rawValue(wrapper, rule)) : null;
  }

  function setShown(wrapper, shown) {
    wrapper.hidden = !shown;
    wrapper.querySelectorAll(CONTROLS).forEach(function (el) {
      if (!shown && !el.disabled) {
        el.disabled = true;
        el.setAttribute(MARK, "");
      } else if (shown && el.hasAttribute(MARK)) {
        el.disabled = false;
        el.removeAttribute(MARK);
      }
    });
  }

  function setRequired(wrapper, required) {
    wrapper.toggleAttribute("data-required", required);
    var inputs = inputsOf(wrapper);
    var boxes = inputs.filter(function (el) { return el.type === "checkbox"; });
    var anyChecked = boxes.some(function (el) { return el.checked; });
    inputs.forEach(function (el) {
      if (el.type === "hidden") { return; }
      if (el.type === "checkbox") {
        el.required = required && !anyChecked;  // a group: one box is enough
      } else if (el.type === "file") {
        var rule = json(wrapper, "data-field-rule");
        el.required = required && !(rule && read(wrapper) !== null);
      } else {
        el.required = required;
      }
    });
  }

  // Every field, top to bottom, as check_activity_values: a hidden field is blank below it.
  function apply(form) {
    var values = Object.create(null);
    form.querySelectorAll("[data-field]").forEach(function (wrapper) {
      var key = wrapper.getAttribute("data-field");
      var visibleIf = json(wrapper, "data-visible-if");
      var shown = visibleIf ? holds(visibleIf, values) : true;
      setShown(wrapper, shown !== false);
      if (shown === false) { return; }
      var requiredIf = json(wrapper, "data-required-if");
      if (requiredIf) {
        var required = holds(requiredIf, values);
        if (required !== null) { setRequired(wrapper, required); }
      }
      var value = read(wrapper);
      if (value !== null) { values[key] = value; }
    });
    return values;
  }

  var bound = new WeakSet();

  function bind(form) {
    if (bound.has(form)) { return apply(form); }
    bound.add(form);
    var again = function () { apply(form); };
    form.addEventListener("input", again);
    form.addEventListener("change", again);
    return apply(form);
  }

  function start() {
    document.querySelectorAll("form").forEach(function (form) {
      if (form.querySelector("[data-visible-if], [data-required-if]")) { bind(form); }
    });
  }

  window.fieldConditions = {
    holds: holds,
    parseValue: parseValue,
    read: read,
    apply: apply,
    bind: bind,
    Dec: Dec,
    Day: Day
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
