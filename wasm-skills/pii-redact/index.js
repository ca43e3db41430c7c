// pii-redact: replaces email addresses, phone numbers and payment card numbers in every string
// of a JSON document (object keys and non-string values are kept).
//
//   scrub:
//     wasm: { skill: pii-redact@1 }
//     with: { data: "${{ steps.check.output.valid }}", replacement: "***" }
//
// Output: { data: <the redacted copy>, redactions: { email: 2, phone: 1, card: 0 } }.
// Card numbers are 13-19 digits (spaces or dashes allowed) that pass the Luhn check. Phone numbers
// are 7-15 digits in digit groups separated by a space, dot or dash, optionally with +country and
// (area), or + and digits; IPv4 addresses, dates, amounts and ids such as ORD-2024-000123 are left
// alone. Emails are matched before cards and cards before phones.
import { defineSkill } from '../lib/skill.js';

// Every pattern starts only where a run of its characters starts (the lookbehinds), and phone
// groups need separators between them: matching is linear in the length of the text.
const EMAIL =
  /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}/g;
const CARD = /(?<![\w.])\d(?:[ -]?\d){12,18}(?![\w.])/g;
const PHONE =
  /(?<![\w+(.-])(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,5}(?:[ .-]\d{1,8}){0,6}|\+\d{7,15}|(?:\(\d{1,4}\)[ .-]?)?\d{1,5}(?:[ .-]\d{1,8}){1,6})(?![\w)-]|\.\d)/g;
// Shapes the phone pattern also matches that are not phone numbers: IPv4 addresses, dates.
const NOT_PHONE = [/^\d{1,3}(?:\.\d{1,3}){3}$/, /^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$/, /^\d{4}[./-]\d{1,2}[./-]\d{1,2}(?!\d)/];

export const skill = defineSkill((input, { log }) => {
  const types = new Set(input.types ?? ['email', 'phone', 'card']);
  const template = input.replacement ?? '[REDACTED:{type}]';
  const skip = new Set(input.skipKeys ?? []);
  const redactions = { email: 0, phone: 0, card: 0 };

  const replace = (type, match) => {
    redactions[type]++;
    const digits = match.replace(/\D/g, '');
    return template.replaceAll('{type}', type).replaceAll('{last4}', digits.slice(-4));
  };

  const scrub = (s) => {
    let out = s;
    if (types.has('email')) out = out.replace(EMAIL, (m) => replace('email', m));
    if (types.has('card')) out = out.replace(CARD, (m) => (luhn(m.replace(/\D/g, '')) ? replace('card', m) : m));
    if (types.has('phone')) {
      out = out.replace(PHONE, (m) => {
        const digits = m.replace(/\D/g, '').length;
        const phone = digits >= 7 && digits <= 15 && !NOT_PHONE.some((re) => re.test(m));
        return phone ? replace('phone', m) : m;
      });
    }
    return out;
  };

  const walk = (v) => {
    if (typeof v === 'string') return scrub(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') {
      const o = {};
      for (const [k, val] of Object.entries(v)) o[k] = skip.has(k) ? val : walk(val);
      return o;
    }
    return v;
  };

  const data = walk(input.data);
  log.info(`redacted ${redactions.email} emails, ${redactions.phone} phone numbers, ${redactions.card} card numbers`);
  return { data, redactions };
});

function luhn(digits) {
  if (digits.length < 13 || digits.length > 19) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}
