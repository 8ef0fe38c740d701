// Turns a raw channel message into the text the engine reads: HTML email bodies become plain text,
// and quoted reply history is cut off, because quoted text was already said (often by someone else)
// and must never count as a new fact or a new statement.

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  '#39': "'",
};

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,8}|#39);/gi, (whole, name: string) => {
    const lower = name.toLowerCase();
    if (lower.startsWith('#x')) return safeCodePoint(Number.parseInt(lower.slice(2), 16), whole);
    if (lower.startsWith('#') && lower !== '#39')
      return safeCodePoint(Number.parseInt(lower.slice(1), 10), whole);
    return ENTITIES[lower] ?? whole;
  });
}

function safeCodePoint(code: number, fallback: string): string {
  return Number.isInteger(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : fallback;
}

const HTML_TAG = /<\/?[a-z][a-z0-9-]*(?:\s[^<>]*)?\/?>/i;

/** True when the text looks like an HTML body rather than prose that mentions a "<". */
export function looksLikeHtml(text: string): boolean {
  return (
    HTML_TAG.test(text) &&
    /<\/?(?:html|body|div|p|br|span|table|td|blockquote|a|b|i|strong|em|ul|li|font)\b/i.test(text)
  );
}

/** Plain text of an HTML body; quoted history (blockquote, Gmail/Outlook quote blocks) removed. */
export function htmlToText(html: string): string {
  return htmlBody(html).text;
}

function htmlBody(html: string): { text: string; quoted: boolean } {
  let text = html.replace(/<!--[\s\S]*?-->/g, ' ').replace(/<(script|style|head)\b[\s\S]*?<\/\1\s*>/gi, ' ');
  // Everything from the first quote container on is history (mail clients append it at the end).
  const quote = text.search(
    /<blockquote\b|<div[^>]*class=["'][^"']*(?:gmail_quote|moz-cite-prefix|yahoo_quoted)|<div[^>]*id=["'](?:divRplyFwdMsg|appendonsend)/i,
  );
  if (quote >= 0) text = text.slice(0, quote);
  const body = text
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|li|tr|h[1-6]|table)\s*>/gi, '\n')
    .replace(/<[^>]*>/g, ' ');
  return { text: decodeEntities(body), quoted: quote >= 0 };
}

const QUOTE_HEADERS: readonly RegExp[] = [
  /^\s*On\s.{3,300}\swrote:\s*$/im,
  /^\s*Le\s.{3,300}\sa écrit\s?:\s*$/im,
  /^\s*Am\s.{3,300}\sschrieb\s.{0,200}:\s*$/im,
  /^\s*El\s.{3,300}\sescribió:\s*$/im,
  /^\s*-{2,}\s*(?:Original Message|Forwarded message|Ursprüngliche Nachricht|Message d'origine)\s*-{2,}/im,
  /^\s*_{8,}\s*$/m,
  /^\s*From:\s.+\n\s*(?:Sent|Date):\s.+$/im,
];

/** Removes quoted reply history from a plain-text message: `>` lines and everything after a reply header. */
export function stripQuotedHistory(text: string): string {
  // Reply headers and quoted lines start a line: a one-line chat message has neither.
  if (!text.includes('\n')) return /^\s*>/.test(text) ? '' : text;
  let cut = text.length;
  for (const header of QUOTE_HEADERS) {
    const at = text.search(header);
    if (at >= 0 && at < cut) cut = at;
  }
  return text
    .slice(0, cut)
    .split('\n')
    .filter((line) => !/^\s*>/.test(line))
    .join('\n');
}

/** The text the engine analyses: plain, without quoted history, whitespace normalised. */
export function readableText(raw: string): { text: string; html: boolean; quotedRemoved: boolean } {
  const html = raw.includes('<') && looksLikeHtml(raw);
  const body = html ? htmlBody(raw) : { text: raw, quoted: false };
  const plain = body.text;
  const stripped = stripQuotedHistory(plain);
  // Each global replace costs a string build per match (every single space would be one): the
  // guards run only the replaces that would change something.
  let text = stripped.includes('\r') ? stripped.replace(/\r\n?/g, '\n') : stripped;
  if (/[\t\u00a0]| {2}/.test(text)) text = text.replace(/[ \t\u00a0]+/g, ' ');
  if (text.includes('\n')) text = text.replace(/\n\s*\n+/g, '\n');
  text = text.trim();
  return { text, html, quotedRemoved: body.quoted || stripped.length < plain.length };
}
