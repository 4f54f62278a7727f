/**
 * Splits a slash command's text into words the way a shell would: spaces
 * separate, quotes group ('…', "…", and the curly quotes phone keyboards type),
 * a backslash escapes the next character outside single quotes.
 */
export type Tokenized = { ok: true; words: string[] } | { ok: false; error: string };

const OPENING: Record<string, string> = { "'": "'", '"': '"', '“': '”', '‘': '’', '„': '“' };

export function tokenize(text: string): Tokenized {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: { close: string; literal: boolean } | null = null;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index]!;
    if (quote) {
      if (char === quote.close || (quote.close === '"' && char === '”')) quote = null;
      else if (char === '\\' && !quote.literal && index + 1 < text.length) word += text[++index];
      else word += char;
    } else if (/\s/.test(char)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (char in OPENING) {
      quote = { close: OPENING[char]!, literal: char === "'" || char === '‘' };
      inWord = true;
    } else if (char === '\\' && index + 1 < text.length) {
      word += text[++index];
      inWord = true;
    } else {
      word += char;
      inWord = true;
    }
  }
  if (quote) return { ok: false, error: `a quote (${quote.close}) is not closed` };
  if (inWord) words.push(word);
  return { ok: true, words };
}
